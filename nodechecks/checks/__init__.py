# isort: skip_file
"""The node checks, imported in kubeadm's order so they run and print in that order.

``kubeadm init``: IsPrivilegedUser (its own first pass), NumCPU, Mem, KubernetesVersion, Firewalld,
the control-plane ports, the static Pod manifests (a worker's kubeconfigs slot in here, as
``kubeadm join`` checks them first), HTTPProxy, HTTPProxyCIDR; the common checks (CRI,
ContainerRuntimeVersion, Swap, binaries, SystemVerification, Hostname, KubeletVersion,
Service-Kubelet, Port-10250; a worker's CA file); the forwarding sysctls; etcd; ImagePull. Then
the checks that go beyond kubeadm.
"""

from nodechecks.checks import (  # noqa: F401  (imported for their registrations, in order)
    system,
    controlplane,
    runtime,
    common,
    verification,
    node,
    etcd,
    beyond_kernel,
    beyond_host,
    beyond_disk,
)
from nodechecks.catalog import REGISTRY

__all__ = ["REGISTRY"]
