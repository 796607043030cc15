"""The start of kubeadm's common checks after the runtime: ``Swap`` and the binaries on PATH
(kubeadm v1.37's ``addExecChecks``: conntrack below 1.32, losetup, mount, cp)."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, passed, skipped, unknown, warned
from kubeadm_verify.results import Severity
from nodechecks import facts
from nodechecks.catalog import REGISTRY
from nodechecks.checks.kinds import in_path
from nodechecks.context import NodeContext
from nodechecks.parsers.procfs import SwapEntry

SWAP_DOCS = "https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory"
CONNTRACK_UNTIL = "1.32.0"
MANDATORY = ("losetup", "mount", "cp")


def judge_swap(entries: list[SwapEntry] | None, cgroup_version: int | None) -> Finding:
    """Active swap is a warning; kubeadm's message (v1.37) speaks of cgroup v2, so on a cgroup
    v1 host we say plainly that swap cannot be used there at all.

    kubeadm passes when ``/proc/swaps`` cannot be opened; we cannot tell "no swap" from "not
    looked", so that is "cannot determine" (a live Linux host always has the file).
    """
    if entries is None:
        return unknown(
            "whether swap is on: /proc/swaps does not exist",
            "check `swapon --show` on the host",
            swaps=None,
        )
    if not entries:
        return passed("no swap is active", swaps=[])
    areas = [entry.filename for entry in entries]
    if cgroup_version == 1:
        message = (
            "swap is enabled on a cgroup v1 host: the kubelet supports swap on cgroup v2 only, "
            "so it must run with failSwapOn: false and pods will not use swap. Please refer to "
            f"{SWAP_DOCS}, or disable swap on the node"
        )
    else:
        message = (
            "swap is supported for cgroup v2 only. The kubelet must be properly configured to use "
            f"swap. Please refer to {SWAP_DOCS}, or disable swap on the node"
        )
    return warned(
        message,
        "swapoff -a, and remove the swap entries from /etc/fstab",
        swaps=areas,
        cgroup_version=cgroup_version,
    )


@REGISTRY.check("Swap", severity=Severity.WARNING, origin="kubeadm")
def swap(ctx: NodeContext) -> Finding:
    """No active swap in ``/proc/swaps`` (the wording depends on the cgroup version, which is
    the one ``SystemVerification`` uses: the root's own mountinfo)."""
    entries = facts.swaps(ctx.host)
    version: int | None
    try:
        version = ctx.cgroup.version if entries else None
    except (OSError, ValueError):
        version = None  # the swap verdict does not need it; SystemVerification reports the cause
    return judge_swap(entries, version)


@REGISTRY.check("FileExisting-conntrack", severity=Severity.ERROR, origin="kubeadm")
def conntrack(ctx: NodeContext) -> Finding:
    """conntrack on PATH, for Kubernetes older than 1.32 only (kube-proxy no longer needs it).

    ``kubeadm join`` passes no Kubernetes version to its common checks, so it never adds this
    one; for a worker it is skipped likewise."""
    if ctx.role == "worker":
        return skipped("kubeadm join does not check conntrack (it knows no target version)")
    try:
        target = ctx.target_version
    except ValueError:
        return skipped(f"the target version {ctx.kubernetes_version!r} does not parse")
    if target.at_least(CONNTRACK_UNTIL):
        return skipped(f"Kubernetes {target} does not need conntrack (since v1.32)")
    return in_path(ctx, "conntrack", mandatory=True)


def _declare_exec(executable: str) -> None:
    def check(ctx: NodeContext) -> Finding:
        return in_path(ctx, executable, mandatory=True)

    check.__doc__ = f"{executable} is on PATH (kubeadm v1.37 requires it)."
    REGISTRY.check(f"FileExisting-{executable}", severity=Severity.ERROR, origin="kubeadm")(check)


for _name in MANDATORY:
    _declare_exec(_name)
