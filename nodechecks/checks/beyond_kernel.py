"""**Beyond** kubeadm: the kernel modules a CNI and the runtime need, and bridge netfilter.

kubeadm dropped the bridge-nf check in v1.30 (not every CNI needs it), yet iptables-mode
kube-proxy and most CNIs still break without it, so we warn.
"""

from __future__ import annotations

from kubeadm_verify.checks import Finding, passed, unknown, warned
from kubeadm_verify.record import field, mutable_record
from kubeadm_verify.results import Severity
from nodechecks.catalog import REGISTRY
from nodechecks.checks.kinds import path_id
from nodechecks.context import NodeContext
from nodechecks.parsers import procfs

BRIDGE_NF = "/proc/sys/net/bridge/bridge-nf-call-iptables"
MODULES = {
    # module → (its kernel config option, a file whose presence shows it is active)
    "br_netfilter": ("CONFIG_BRIDGE_NETFILTER", "/proc/sys/net/bridge"),
    "overlay": ("CONFIG_OVERLAY_FS", ""),
}


@mutable_record
class ModuleEvidence:
    """What the host shows about one module; ``None`` means that source was not available."""

    loaded: bool | None = None
    builtin: bool | None = None
    loadable: bool | None = None
    config: str | None = None
    active_marker: bool = False
    filesystem: bool = False
    sources: list[str] = field(default_factory=list)


def judge_module(name: str, evidence: ModuleEvidence) -> Finding:
    """Loaded, built in or loadable passes; a source saying no, with none saying yes, warns."""
    details = {"module": name, "sources": evidence.sources}
    if evidence.loaded or evidence.active_marker or evidence.filesystem:
        return passed(f"{name} is loaded", **details)
    if evidence.builtin or evidence.config == "y":
        return passed(f"{name} is built into the kernel", **details)
    if evidence.loadable:
        return passed(f"{name} is not loaded but can be loaded (modprobe {name})", **details)
    remediation = (
        f"modprobe {name}, and list it in /etc/modules-load.d/k8s.conf so it loads at boot"
    )
    if evidence.config == "m":
        return warned(
            f"{name} is built as a module but not loaded, and modules.dep does not list it",
            remediation,
            **details,
        )
    if (
        evidence.loaded is None
        and evidence.builtin is None
        and evidence.loadable is None
        and evidence.config is None
    ):
        return unknown(
            f"whether the {name} module is available: no module list or kernel config to read",
            remediation,
            **details,
        )
    return warned(
        f"the {name} kernel module is not loaded, built in or loadable", remediation, **details
    )


def module_evidence(ctx: NodeContext, name: str) -> ModuleEvidence:
    option, marker = MODULES[name]
    host, evidence = ctx.host, ModuleEvidence()
    if host.exists("/proc/modules"):
        evidence.loaded = name in procfs.parse_proc_modules(host.read_text("/proc/modules"))
        evidence.sources.append("/proc/modules")
    if host.is_dir(f"/sys/module/{name}"):
        evidence.loaded = True
        evidence.sources.append(f"/sys/module/{name}")
    release = ctx.kernel_release
    builtin = f"/lib/modules/{release}/modules.builtin"
    if host.exists(builtin):
        evidence.builtin = name in procfs.parse_modules_builtin(host.read_text(builtin))
        evidence.sources.append(builtin)
    dep = f"/lib/modules/{release}/modules.dep"
    if host.exists(dep):
        evidence.loadable = name in procfs.parse_modules_dep(host.read_text(dep))
        evidence.sources.append(dep)
    config = ctx.kernel_config
    if config is not None:
        evidence.config = config[1].get(option, "n")
        evidence.sources.append(config[0])
    if marker and host.exists(marker):
        evidence.active_marker = True
        evidence.sources.append(marker)
    if name == "overlay" and host.exists("/proc/filesystems"):
        evidence.filesystem = "overlay" in procfs.parse_filesystems(
            host.read_text("/proc/filesystems")
        )
        evidence.sources.append("/proc/filesystems")
    return evidence


@REGISTRY.check("KernelModule-br_netfilter", severity=Severity.WARNING, origin="beyond")
def br_netfilter(ctx: NodeContext) -> Finding:
    """**beyond**: br_netfilter is loaded, built in or loadable (bridged pod traffic through
    iptables)."""
    return judge_module("br_netfilter", module_evidence(ctx, "br_netfilter"))


@REGISTRY.check("KernelModule-overlay", severity=Severity.WARNING, origin="beyond")
def overlay(ctx: NodeContext) -> Finding:
    """**beyond**: overlay is loaded, built in or loadable (the runtimes' default snapshotter)."""
    return judge_module("overlay", module_evidence(ctx, "overlay"))


def judge_bridge_nf(value: str | None) -> Finding:
    remediation = (
        "modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1, and "
        "persist both in /etc/modules-load.d and /etc/sysctl.d"
    )
    if value is None:
        return warned(f"{BRIDGE_NF} does not exist (br_netfilter is not loaded)", remediation)
    if value.strip() != "1":
        return warned(f"{BRIDGE_NF} contents are not set to 1", remediation, value=value.strip())
    return passed(f"{BRIDGE_NF} is 1", value="1")


@REGISTRY.check(path_id("FileContent", BRIDGE_NF), severity=Severity.WARNING, origin="beyond")
def bridge_nf_call_iptables(ctx: NodeContext) -> Finding:
    """**beyond**: bridged traffic is seen by iptables (removed from kubeadm in v1.30)."""
    value = ctx.host.read_text(BRIDGE_NF) if ctx.host.exists(BRIDGE_NF) else None
    return judge_bridge_nf(value)


@REGISTRY.check("InPath-iptables", severity=Severity.WARNING, origin="beyond")
def iptables_in_path(ctx: NodeContext) -> Finding:
    """**beyond**: iptables is on PATH. kubeadm dropped ``FileExisting-iptables`` in v1.32, but
    kube-proxy's default ``iptables`` mode and most CNI plugins still run it."""
    found = ctx.host.which("iptables")
    if found is not None:
        return passed(f"iptables found at {found}", path=found)
    return warned(
        "iptables not found in system path: kube-proxy's iptables mode (its default) "
        "and most CNI plugins need it",
        "install iptables (or run kube-proxy in nftables mode)",
        searched=" ".join(ctx.host.search_dirs()),
    )
