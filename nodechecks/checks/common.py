"""The start of kubeadm's common checks after the runtime: ``Swap`` and the binaries on PATH."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, passed, skipped, warned
from kubeadm_verify.results import Severity
from nodechecks import facts
from nodechecks.catalog import REGISTRY
from nodechecks.checks.kinds import in_path
from nodechecks.context import NodeContext
from nodechecks.parsers.procfs import SwapEntry

SWAP_DOCS = "https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory"
CONNTRACK_UNTIL = "1.32.0"
MANDATORY = ("ip", "iptables", "mount", "nsenter")
OPTIONAL = ("ebtables", "ethtool", "socat", "tc", "touch")


def judge_swap(entries: list[SwapEntry] | None, cgroup_version: int | None) -> Finding:
    """Active swap is a warning; kubeadm's message (v1.37) speaks of cgroup v2, so on a cgroup
    v1 host we say plainly that swap cannot be used there at all."""
    if not entries:
        why = "/proc/swaps does not exist" if entries is None else "no swap is active"
        return passed(why, swaps=[])
    areas = [entry.filename for entry in entries]
    if cgroup_version == 1:
        message = (
            "swap is enabled on a cgroup v1 host: the kubelet supports swap on cgroup v2 only, "
            "so it must run with failSwapOn: false and pods will not use swap. Please refer to "
            f"{SWAP_DOCS}, or disable swap on the node")
    else:
        message = (
            "swap is supported for cgroup v2 only. The kubelet must be properly configured to use "
            f"swap. Please refer to {SWAP_DOCS}, or disable swap on the node")
    return warned(message, "swapoff -a, and remove the swap entries from /etc/fstab",
                  swaps=areas, cgroup_version=cgroup_version)


@REGISTRY.check("Swap", severity=Severity.WARNING)
def swap(ctx: NodeContext) -> Finding:
    """No active swap in ``/proc/swaps`` (the wording depends on the cgroup version)."""
    entries = facts.swaps(ctx.host)
    version: int | None
    try:
        version = ctx.cgroup.version if entries else None
    except (OSError, ValueError):
        version = None  # the swap verdict does not need it; SystemVerification reports the cause
    return judge_swap(entries, version)


@REGISTRY.check("FileExisting-conntrack", severity=Severity.ERROR)
def conntrack(ctx: NodeContext) -> Finding:
    """conntrack on PATH, for Kubernetes older than 1.32 only (kube-proxy no longer needs it)."""
    try:
        target = ctx.target_version
    except ValueError:
        return skipped(f"the target version {ctx.kubernetes_version!r} does not parse")
    if target.at_least(CONNTRACK_UNTIL):
        return skipped(f"Kubernetes {target} does not need conntrack (since v1.32)")
    return in_path(ctx, "conntrack", mandatory=True)


def _declare_exec(executable: str, mandatory: bool) -> None:
    def check(ctx: NodeContext) -> Finding:
        return in_path(ctx, executable, mandatory=mandatory)

    check.__doc__ = f"{executable} is on PATH ({'required' if mandatory else 'recommended'})."
    severity = Severity.ERROR if mandatory else Severity.WARNING
    REGISTRY.check(f"FileExisting-{executable}", severity=severity)(check)


for _name in MANDATORY:
    _declare_exec(_name, True)
for _name in OPTIONAL:
    _declare_exec(_name, False)


