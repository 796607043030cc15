"""``SystemVerification``: system-validators' kernel, OS and cgroups validators, via the root."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, failed, passed, warned
from kubeadm_verify.results import Severity
from nodechecks import facts, validators
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.parsers.etc import parse_os_release
from nodechecks.sysspec import DEFAULT_SYS_SPEC, SysSpec
from nodechecks.validators import Validation
from nodechecks.versions import Version


def verify(
    release: str,
    config: tuple[str, dict[str, str]] | None,
    ostype: str,
    cgroup_version: int,
    subsystems: list[str] | None,
    kubelet: Version | None,
    spec: SysSpec = DEFAULT_SYS_SPEC,
) -> Validation:
    """Kernel (release, then config), OS, cgroups, in upstream's order; errors are appended."""
    result = validators.validate_kernel_version(release, spec)
    if config is None:
        result.extend(validators.missing_kernel_config(facts.kernel_config_paths(release)))
    else:
        result.extend(
            validators.validate_kernel_config(config[1], spec, cgroup_v2=cgroup_version == 2)
        )
    result.extend(validators.validate_os(ostype, spec))
    if subsystems is None:
        result.extend(validators.unknown_cgroups(cgroup_version, spec, kubelet))
    else:
        result.extend(validators.validate_cgroups(cgroup_version, subsystems, spec, kubelet))
    return result


def judge_verification(result: Validation, **evidence: object) -> Finding:
    details = {
        "report": result.items,
        "warnings": result.warnings,
        "errors": result.errors,
        **evidence,
    }
    if result.errors:
        return failed("; ".join(result.errors), _remediation(result), **details)
    if result.warnings:
        return warned("; ".join(result.warnings), _remediation(result), **details)
    return passed("the kernel, OS and cgroups meet the system spec", **details)


def _remediation(result: Validation) -> str:
    text = " ".join(result.errors + result.warnings)
    if "cgroups v1" in text:
        return (
            "boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set the kubelet's "
            "failCgroupV1: false and ignore SystemVerification"
        )
    if "kernel config" in text:
        return "use a kernel built with the options reported as not set"
    if "cgroups" in text:
        return "enable the missing cgroup controllers (kernel command line, subtree_control)"
    return "see the items in the details; upgrade the kernel if it is unsupported"


@REGISTRY.check("SystemVerification", severity=Severity.ERROR, origin="kubeadm")
def system_verification(ctx: NodeContext) -> Finding:
    """Kernel release (warning), kernel config per cgroup version (never modprobe: a missing
    config is a warning), OS, cgroup controllers and the cgroup v1 deprecation (an error for
    kubelet ≥ 1.35).

    As kubeadm, the kubelet on ``$PATH`` decides the deprecation's severity, and a kubelet that
    cannot be run is an error of its own ("couldn't get kubelet version"); the validators still
    run, so their items are in the details. Under ``--root`` the kubelet is not run: the target
    version's kubelet stands in for it.
    """
    release = ctx.kernel_release
    config = ctx.kernel_config
    ostype = ctx.host.read_text("/proc/sys/kernel/ostype").strip()
    mode = ctx.cgroup
    subsystems = facts.cgroup_subsystems(ctx.host, mode, release)
    kubelet = ctx.kubelet.version if ctx.host.is_live else ctx.effective_kubelet_version
    result = verify(release, config, ostype, mode.version, subsystems, kubelet)
    if ctx.host.is_live and ctx.kubelet.version is None:
        result.errors.insert(0, f"couldn't get kubelet version: {ctx.kubelet.error}")
    os_release = {}
    if ctx.host.exists("/etc/os-release"):
        os_release = parse_os_release(ctx.host.read_text("/etc/os-release"))
    return judge_verification(
        result,
        kernel_config=config[0] if config else None,
        cgroup_version=mode.version,
        cgroup_mountpoint=mode.mountpoint,
        cgroup_source=mode.source,
        kubelet_version=str(kubelet) if kubelet else None,
        os_release=os_release.get("PRETTY_NAME", ""),
    )
