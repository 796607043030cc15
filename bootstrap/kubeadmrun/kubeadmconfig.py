"""The kubeadm configuration files, written as a user of this machine would write them.

``init_config`` is what ``kubeadm init --config`` reads on the first node: an InitConfiguration
(the node's address, its name, containerd's standard socket, ``imagePullPolicy: Never``, the
bootstrap token the workers join with), a ClusterConfiguration (the release, the cluster's pod
and Service subnets, node IPAM off: ``CONTROLLER_MANAGER_ARGS``) and a KubeletConfiguration
with what this machine needs and nothing more; for a release whose kube-proxy needs it here, a
KubeProxyConfiguration (``kube_proxy_settings``).
``join_config`` is a worker's JoinConfiguration: token discovery pinned to the CA's public key.
Each node's ``cgroupRoot`` differs (two kubelets on one host must not share ``/kubepods``), so it
goes in a per-node kubeadm patch for the ``kubeletconfiguration`` target, as kubeadm documents.
"""

from __future__ import annotations

from typing import Any

from bootstrap.kubeadm.yamlio import dump_yaml
from bootstrap.runtime.nodes.kubeletcfg import SHARED_DISK
from bootstrap.upstream.versions import version_parts

API_VERSION = "kubeadm.k8s.io/v1beta4"
KUBELET_API_VERSION = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API_VERSION = "kubeproxy.config.k8s.io/v1alpha1"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
BIND_PORT = 6443
"""kubeadm's default: free, inside the node's own network namespace."""
PATCHES_DIR = "/etc/kubeadm-verify/patches"
CONFIG_PATH = "/etc/kubeadm-verify/kubeadm.yaml"
KUBELET_PATCH = "kubeletconfiguration+merge.yaml"
UPGRADE_PATCHES_DIR = "/etc/kubeadm-verify/upgrade-patches"
"""The patches every ``kubeadm upgrade`` of one upgrade reads (``upgradepatches``)."""
NODE_BIN_DIR = "/opt/kubeadm-verify/bin"
"""The node's own programs, first on the PATH of every command run in it."""
KUBEADM_IN_NODE = f"{NODE_BIN_DIR}/kubeadm"
"""Where each node has the kubeadm it runs: the user's may be anywhere on the host, /tmp
included, which a node does not see (its /tmp is its own)."""
KUBELET_IN_NODE = f"{NODE_BIN_DIR}/kubelet"
"""The kubelet the node's unit runs: the node's own copy of its release's, as a machine has
it in ``/usr/bin``, so an upgrade replaces it on one node at a time, as kubeadm's upgrade
procedure does, and kubeadm's preflight finds it on the PATH."""

CONTROLLER_MANAGER_ARGS = ({"name": "allocate-node-cidrs", "value": "false"},)
"""The pod network here is routed per node, each node's /24 made before it joins (``podcidr``
sets its Node's ``podCIDR`` to it), as with a CNI that does its own address management: the
controller-manager's node IPAM, which hands out /24s in the order it gets to the Nodes (and skips
one it released under load), must not give a Node another."""

CONNTRACK_MAX_CHECKED_SINCE = (1, 37)
"""kube-proxy before v1.37 writes ``nf_conntrack_max`` whenever its configuration gives a maximum,
even one below the current value (``pkg/proxy/conntrack/sysctls.go``); in a node's network
namespace that sysctl is the host's, read-only, and kube-proxy exits on it. From v1.37 it writes
it only when the current value is smaller, which the host's already is not."""


def kube_proxy_settings(version: str) -> dict[str, Any]:
    """What kube-proxy of ``version`` needs on this machine: for releases before
    ``CONNTRACK_MAX_CHECKED_SINCE``, ``conntrack.maxPerCore: 0``, which leaves ``nf_conntrack_max``
    to the host (as kind's nodes do, for the same reason); nothing for later ones."""
    major, minor, _ = version_parts(version)
    if (major, minor) >= CONNTRACK_MAX_CHECKED_SINCE:
        return {}
    return {"conntrack": {"maxPerCore": 0}}


IGNORED_PREFLIGHT_ERRORS: dict[str, str] = {
    "SystemVerification": (
        "this machine runs cgroup v1, which kubeadm's system verification fails since v1.35; "
        "kubeadm's own message says to set failCgroupV1: false (done in the "
        "KubeletConfiguration) and explicitly skip this validation"
    ),
}
"""The preflight checks whose errors this machine cannot meet, by name, each with its reason.
kubeadm runs every other check, and fails on it."""


def machine_kubelet_settings(cgroup_v1: bool, systemd: bool) -> dict[str, Any]:
    """What this machine needs of every kubelet: the cgroupfs driver without systemd, the
    cgroup v1 opt-out on a v1 host, disk left to the host (``kubeletcfg.SHARED_DISK``)."""
    settings: dict[str, Any] = {}
    if not systemd:
        settings["cgroupDriver"] = "cgroupfs"
    if cgroup_v1:
        settings["failCgroupV1"] = False
    settings.update(SHARED_DISK)
    return settings


def node_registration(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "criSocket": CRI_SOCKET,
        "imagePullPolicy": "Never",
        "ignorePreflightErrors": sorted(IGNORED_PREFLIGHT_ERRORS),
    }


def init_config(
    *,
    name: str,
    address: str,
    version: str,
    pod_subnet: str,
    service_subnet: str,
    token: str,
    kubelet: dict[str, Any],
    control_plane_endpoint: str = "",
    certificate_key: str = "",
) -> str:
    """With ``control_plane_endpoint`` (a load balancer) the cluster can take more control
    planes; with ``certificate_key`` ``init --upload-certs`` shares their certificates."""
    init: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "InitConfiguration",
        "bootstrapTokens": [
            {
                "token": token,
                "ttl": "24h0m0s",
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                "usages": ["signing", "authentication"],
            }
        ],
        "localAPIEndpoint": {"advertiseAddress": address, "bindPort": BIND_PORT},
        "nodeRegistration": node_registration(name),
        "patches": {"directory": PATCHES_DIR},
    }
    if certificate_key:
        init["certificateKey"] = certificate_key
    cluster: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "ClusterConfiguration",
        "kubernetesVersion": version,
        "networking": {"podSubnet": pod_subnet, "serviceSubnet": service_subnet},
        "controllerManager": {"extraArgs": [dict(arg) for arg in CONTROLLER_MANAGER_ARGS]},
    }
    if control_plane_endpoint:
        cluster["controlPlaneEndpoint"] = control_plane_endpoint
    kubelet_doc = {"apiVersion": KUBELET_API_VERSION, "kind": "KubeletConfiguration", **kubelet}
    docs = [init, cluster, kubelet_doc]
    proxy = kube_proxy_settings(version)
    if proxy:
        docs.append(
            {"apiVersion": KUBE_PROXY_API_VERSION, "kind": "KubeProxyConfiguration", **proxy}
        )
    return "---\n".join(dump_yaml(doc) for doc in docs)


def join_config(
    *,
    name: str,
    endpoint: str,
    token: str,
    ca_hash: str,
    control_plane: tuple[str, str] | None = None,
) -> str:
    """A worker's, or with ``control_plane`` (the node's address, the certificate key) a
    control plane's, stacked etcd member included."""
    join: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": endpoint,
                "token": token,
                "caCertHashes": [ca_hash],
            }
        },
        "nodeRegistration": node_registration(name),
        "patches": {"directory": PATCHES_DIR},
    }
    if control_plane is not None:
        address, certificate_key = control_plane
        join["controlPlane"] = {
            "localAPIEndpoint": {"advertiseAddress": address, "bindPort": BIND_PORT},
            "certificateKey": certificate_key,
        }
    return dump_yaml(join)


def kubelet_patch(cgroup_root: str) -> str:
    """The node's own part of its KubeletConfiguration (a JSON merge patch)."""
    return dump_yaml({"cgroupRoot": cgroup_root})


UPGRADE_CONFIG_PATH = "/etc/kubeadm-verify/upgrade.yaml"
UPGRADE_IGNORED_PREFLIGHT_ERRORS: dict[str, str] = {
    **IGNORED_PREFLIGHT_ERRORS,
    "CoreDNSUnsupportedPlugins": (
        "no DNS server outside the cluster is reachable here, so the cluster's Corefile answers "
        "every other name NXDOMAIN with CoreDNS's template plugin instead of forwarding it, and "
        "kubeadm's Corefile migration tool knows no template plugin; kubeadm then keeps the "
        "Corefile as it is and upgrades CoreDNS's image, as its documentation has an operator "
        "with a Corefile of their own do"
    ),
}
"""The preflight errors ``kubeadm upgrade`` is told to ignore, by name, each with its reason."""


def upgrade_config(
    version: str, upgrade_manifests_s: float | None = None, etcd_upgrade: bool = True
) -> str:
    """The UpgradeConfiguration every ``kubeadm upgrade`` command on a node reads: the target
    release for ``plan``, ``diff`` and ``apply`` (so nothing is looked up on the internet), the
    images already present (``Never``), the preflight errors
    ``UPGRADE_IGNORED_PREFLIGHT_ERRORS`` names, and the upgrade's patches, the node's own among
    them, without which the kubelet-config phase would drop the node's ``cgroupRoot`` from the
    configuration it rewrites; ``upgrade_manifests_s``, when given, is kubeadm's
    ``timeouts.upgradeManifests``: how long it waits for each static pod it replaces before it
    rolls the control plane back (five minutes unless said); ``etcd_upgrade`` False leaves
    etcd at its version (kubeadm's ``--etcd-upgrade=false``)."""

    def ignored() -> list[str]:  # a list of its own in each section: no YAML anchors
        return sorted(UPGRADE_IGNORED_PREFLIGHT_ERRORS)

    def patches() -> dict[str, str]:
        return {"directory": UPGRADE_PATCHES_DIR}

    timeouts = (
        {} if upgrade_manifests_s is None else {"upgradeManifests": f"{upgrade_manifests_s:g}s"}
    )
    etcd = {} if etcd_upgrade else {"etcdUpgrade": False}
    return dump_yaml(
        {
            "apiVersion": API_VERSION,
            "kind": "UpgradeConfiguration",
            **({"timeouts": timeouts} if timeouts else {}),
            "plan": {"kubernetesVersion": version, "ignorePreflightErrors": ignored()},
            "diff": {"kubernetesVersion": version},
            "apply": {
                "kubernetesVersion": version,
                "ignorePreflightErrors": ignored(),
                "imagePullPolicy": "Never",
                "patches": patches(),
                **etcd,
            },
            "node": {
                "ignorePreflightErrors": ignored(),
                "imagePullPolicy": "Never",
                "patches": patches(),
                **etcd,
            },
        }
    )
