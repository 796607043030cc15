"""The ``preflight`` phase: the node tier's control-plane checks, run in-process.

A local cluster is not a kubeadm node: no kubelet, no container runtime, no images, nothing under
``/etc/kubernetes`` or ``/var/lib/etcd``, no need for root. So the checks that only guard those
are ignored (reported as warnings, kubeadm's meaning of an ignored error), as are the checks of
kubeadm's default ports that this cluster does not use (another cluster may well hold them). What
is left judges what a control plane of processes needs: free ports where the default ones are
used, CPUs and memory (as warnings: a small CI machine still runs a test cluster), clock, proxy
settings, resolver, limits. kind, for comparison, skips preflight entirely.

The checks are the node tier's, which bootstrap may not import: the caller hands over a
``CheckNode`` (the CLI passes ``nodechecks.run.run``), and the phase builds its ``NodeSettings``
and reads the report. Without one (the fixtures plugin, which cannot import a tier either), the
phase says it did not run and goes on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.runtime.state import StateDir
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.results import Status, TierReport
from kubeadm_verify.settings import NodeSettings

Log = Callable[[str], None]
CheckNode = Callable[[NodeSettings], TierReport]
"""The node tier's ``run``, handed over by whoever may import it."""

NOT_A_NODE = (
    # what only a kubelet and its container runtime need
    "CRI",
    "ContainerRuntimeVersion",
    "KubeletVersion",
    "Service-kubelet",
    "Swap",
    "CgroupDriver",
    "Port-10250",
    "ImagePull",
    "SystemVerification",
    "FileContent--proc-sys-net-ipv4-ip_forward",
    "FileContent--proc-sys-net-ipv6-conf-default-forwarding",
    "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables",
    "KernelModule-br_netfilter",
    "KernelModule-overlay",
    "FileExisting-losetup",
    "FileExisting-mount",
    "FileExisting-cp",
    "FileExisting-conntrack",
    # kubeadm's host paths: ours live in the state dir
    "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml",
    "FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml",
    "FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml",
    "FileAvailable--etc-kubernetes-manifests-etcd.yaml",
    "DirAvailable--var-lib-etcd",
    # we write only to the state dir, and listen on the advertise address (loopback by default)
    "IsPrivilegedUser",
    "Firewalld",
    "DefaultRoute",
    # a test cluster on a small machine: reported, not fatal
    "NumCPU",
    "Mem",
)
DEFAULT_PORTS = {
    "bind_port": 6443,
    "etcd_client": 2379,
    "etcd_peer": 2380,
    "controller_manager": 10257,
    "scheduler": 10259,
}


def ignores_for(config: BootstrapConfig) -> list[str]:
    """What ``up`` ignores: the list above, unused default ports, and the config's own."""
    used = {
        "bind_port": config.endpoint.bind_port,
        "etcd_client": config.ports.etcd_client,
        "etcd_peer": config.ports.etcd_peer,
        "controller_manager": config.ports.controller_manager,
        "scheduler": config.ports.scheduler,
    }
    unused = [f"Port-{port}" for name, port in DEFAULT_PORTS.items() if used[name] != port]
    return sorted(
        {name.lower() for name in (*NOT_A_NODE, *unused, *config.node.ignore_preflight_errors)}
    )


def node_settings(config: BootstrapConfig, extra_ignores: Iterable[str] = ()) -> NodeSettings:
    """What the node tier judges this host against: a control plane of the config's release,
    with what ``up`` ignores (see the module docstring)."""
    ignored = {*ignores_for(config), *(name.lower() for name in extra_ignores)}
    return NodeSettings(
        root="/",
        role="control-plane",
        kubernetes_version=config.cluster.kubernetes_version,
        ignored=frozenset({"all"} if "all" in ignored else ignored),
    )


def preflight(
    config: BootstrapConfig,
    state: StateDir,
    log: Log,
    extra_ignores: Iterable[str] = (),
    *,
    check_node: CheckNode | None = None,
) -> None:
    if check_node is None:
        log("[preflight] Skipped: no node checks were handed over to this run")
        return
    log("[preflight] Running pre-flight checks")
    report = check_node(node_settings(config, extra_ignores))
    errors = []
    for result in report.results:
        if result.status is Status.WARN:
            log(f"\t[WARNING {result.id}]: {result.message}")
        elif result.status in (Status.FAIL, Status.ERROR):
            errors.append(f"[ERROR {result.id}]: {result.message}")
    if errors:
        raise BootstrapError(
            "[preflight] Some fatal errors occurred: "
            + "; ".join(errors)
            + " (nodeRegistration.ignorePreflightErrors in --config ignores them)"
        )


def with_checks(check_node: CheckNode | None) -> Callable[[BootstrapConfig, StateDir, Log], None]:
    """The phase's body with ``check_node`` bound, as the phase list runs it."""
    return functools.partial(preflight, check_node=check_node)


__all__ = [
    "DEFAULT_PORTS",
    "NOT_A_NODE",
    "CheckNode",
    "ignores_for",
    "node_settings",
    "preflight",
    "with_checks",
]
