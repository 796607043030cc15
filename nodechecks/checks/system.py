"""The machine's identity and size: ``IsPrivilegedUser``, ``NumCPU``, ``Mem``; and the target
``KubernetesVersion``."""

from __future__ import annotations

import os

from kubeadm_verify.checks import CONTROL_PLANE, Finding, failed, passed, skipped, warned
from kubeadm_verify.pins import KUBEADM_VERSION
from kubeadm_verify.results import Severity
from nodechecks import facts
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.versions import Version

CONTROL_PLANE_NUM_CPU = 2
CONTROL_PLANE_MEM_MB = 1700


@REGISTRY.check("IsPrivilegedUser", severity=Severity.ERROR, origin="kubeadm")
def is_privileged_user(ctx: NodeContext) -> Finding:
    """The effective user is root, as kubeadm requires to write /etc/kubernetes."""
    if not ctx.host.is_live:
        return skipped("the user running kubeadm on a host mounted elsewhere cannot be seen")
    uid = os.geteuid()
    if uid != 0:
        return failed("user is not running as root", "run as root (sudo)", euid=uid)
    return passed("running as root", euid=uid)


def judge_num_cpu(count: int, required: int = CONTROL_PLANE_NUM_CPU) -> Finding:
    if count < required:
        return failed(
            f"the number of available CPUs {count} is less than the required {required}",
            f"give the machine at least {required} CPUs",
            cpus=count,
        )
    return passed(f"{count} CPUs available", cpus=count)


@REGISTRY.check("NumCPU", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def num_cpu(ctx: NodeContext) -> Finding:
    """At least two CPUs, as kubeadm counts (the affinity mask; the online list under --root)."""
    fact = facts.cpu_count(ctx.host)
    finding = judge_num_cpu(fact.value)
    return _with_source(finding, fact.source)


def judge_mem(total_mb: int, required_mb: int = CONTROL_PLANE_MEM_MB) -> Finding:
    if total_mb < required_mb:
        return failed(
            f"the system RAM ({total_mb} MB) is less than the minimum {required_mb} MB",
            f"give the machine at least {required_mb} MB of RAM",
            mem_mb=total_mb,
        )
    return passed(f"{total_mb} MB of RAM", mem_mb=total_mb)


@REGISTRY.check("Mem", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def mem(ctx: NodeContext) -> Finding:
    """At least 1700 MB of RAM (sysinfo on the live host, MemTotal under --root)."""
    fact = facts.mem_total_mb(ctx.host)
    return _with_source(judge_mem(fact.value), fact.source)


def judge_kubernetes_version(target: str, kubeadm: str = KUBEADM_VERSION) -> Finding:
    """kubeadm warns when the target is at least its own next minor (``x.(y+1).0-0``)."""
    try:
        version = Version.parse(target)
    except ValueError as exc:
        return failed(
            f"couldn't parse Kubernetes version {target!r}: {exc}", "give a version such as v1.37.2"
        )
    own = Version.parse(kubeadm)
    first_unsupported = Version(own.major, own.minor + 1, 0, ("0",))
    if not version < first_unsupported:
        return warned(
            "Kubernetes version is greater than kubeadm version. Please consider to upgrade "
            f"kubeadm. Kubernetes version: {str(version).removeprefix('v')}. "
            f"Kubeadm version: {own.major}.{own.minor}.x",
            "use a kubeadm of the same minor as the target version",
            kubernetes_version=str(version),
        )
    return passed(
        f"Kubernetes {version} is supported by kubeadm {own.major}.{own.minor}",
        kubernetes_version=str(version),
    )


@REGISTRY.check(
    "KubernetesVersion", severity=Severity.WARNING, roles=CONTROL_PLANE, origin="kubeadm"
)
def kubernetes_version(ctx: NodeContext) -> Finding:
    """The target version is not newer than the kubeadm release this suite follows (v1.37).

    Not in our spec's table, but part of ``kubeadm init``'s preflight (after ``Mem``), so kept
    for parity of ids and ignore lists.
    """
    return judge_kubernetes_version(ctx.kubernetes_version)


def _with_source(finding: Finding, source: str) -> Finding:
    return Finding(
        finding.status, finding.message, finding.remediation, {**finding.details, "source": source}
    )
