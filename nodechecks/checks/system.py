"""Checks on the machine's size and identity: ``IsPrivilegedUser``, ``NumCPU``, ``Mem``."""

from __future__ import annotations

import os

from kubeadm_verify.checks import CONTROL_PLANE, Finding, failed, passed, skipped
from kubeadm_verify.results import Severity
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext

CONTROL_PLANE_NUM_CPU = 2


@REGISTRY.check("IsPrivilegedUser", severity=Severity.ERROR)
def is_privileged_user(ctx: NodeContext) -> Finding:
    """The effective user is root, as kubeadm requires to write /etc/kubernetes."""
    if not ctx.host.is_live:
        return skipped("the user running kubeadm on a host mounted elsewhere cannot be seen")
    uid = os.geteuid()
    if uid != 0:
        return failed("user is not running as root", "run as root (sudo)", euid=uid)
    return passed("running as root", euid=uid)


@REGISTRY.check("NumCPU", severity=Severity.ERROR, roles=CONTROL_PLANE)
def num_cpu(ctx: NodeContext) -> Finding:
    """At least two CPUs are available, counted as kubeadm does (the affinity mask)."""
    count = len(os.sched_getaffinity(0)) if ctx.host.is_live else 0
    if count < CONTROL_PLANE_NUM_CPU:
        return failed(
            f"the number of available CPUs {count} is less than the required {CONTROL_PLANE_NUM_CPU}",
            "give the machine at least 2 CPUs",
            cpus=count,
        )
    return passed(f"{count} CPUs available", cpus=count)
