"""**Beyond** kubeadm: host settings that break clusters after a clean preflight.

Cgroup driver agreement, a default route (kubeadm derives the advertise address from it), a
synchronised clock (certificates), a resolver CoreDNS can forward to, unique machine ids,
inotify and PID limits (disk space is in ``beyond_disk``).
"""

from __future__ import annotations

import ipaddress

from kubeadm_verify.checks import Finding, passed, problem, skipped, unknown, warned
from kubeadm_verify.results import Severity
from nodechecks import facts
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.parsers import ParseError
from nodechecks.parsers.etc import parse_machine_id, parse_resolv_conf
from nodechecks.parsers.net import Route, default_routes
from nodechecks.versions import Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

KUBELET_CONFIG = "/var/lib/kubelet/config.yaml"
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_CONFIG_DIR = "/etc/crio/crio.conf.d"
KUBEADM_DEFAULT_CGROUP_DRIVER = "systemd"
CGROUP_DRIVER_FROM_CRI = "1.34.0-0"
RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf"
SYSTEMD_BOOTED = "/run/systemd/system"
"""systemd's own test for "booted with systemd" (``sd_booted``)."""
TIME_ERROR = 5
INOTIFY_MIN = {"fs.inotify.max_user_instances": 512, "fs.inotify.max_user_watches": 524288}
PID_MAX_MIN = 32768


# CgroupDriver --------------------------------------------------------------------------------


def kubelet_cgroup_driver(config_text: str | None) -> tuple[str, str]:
    """The kubelet's ``cgroupDriver`` and where it came from (kubeadm writes ``systemd`` when the
    file does not exist yet)."""
    if config_text is None:
        return KUBEADM_DEFAULT_CGROUP_DRIVER, "kubeadm's default (no kubelet config yet)"
    from kubeadm_verify import yamlread  # only when a kubelet config exists

    try:
        document = yamlread.load(config_text) or {}
    except yamlread.YAMLError as exc:
        raise ParseError(KUBELET_CONFIG, f"not YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ParseError(KUBELET_CONFIG, "not a KubeletConfiguration mapping")
    driver = str(document.get("cgroupDriver") or "cgroupfs")
    return driver, KUBELET_CONFIG


def containerd_cgroup_driver(config_text: str) -> str:
    """``SystemdCgroup`` of the default runc runtime in config v2 or v3 (default: cgroupfs)."""
    import tomllib  # only when a runtime config exists

    try:
        config = tomllib.loads(config_text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(CONTAINERD_CONFIG, f"not TOML: {exc}") from exc
    plugins = config.get("plugins", {})
    for plugin in ("io.containerd.cri.v1.runtime", "io.containerd.grpc.v1.cri"):
        section: Any = plugins.get(plugin, {}).get("containerd", {})
        runtimes = section.get("runtimes", {})
        runtime = runtimes.get(section.get("default_runtime_name", "runc"), {})
        options = runtime.get("options", {})
        if "SystemdCgroup" in options:
            return "systemd" if options["SystemdCgroup"] is True else "cgroupfs"
    return "cgroupfs"


def crio_cgroup_driver(texts: list[str]) -> str:
    """CRI-O's ``cgroup_manager`` (later drop-ins win; default systemd)."""
    import tomllib

    driver = "systemd"
    for text in texts:
        try:
            config = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParseError("crio.conf", f"not TOML: {exc}") from exc
        value = config.get("crio", {}).get("runtime", {}).get("cgroup_manager")
        if value:
            driver = str(value)
    return driver


def runtime_cgroup_driver(ctx: NodeContext) -> tuple[str, str, bool]:
    """The runtime's driver, its source, and whether the runtime reports it over CRI."""
    probe = ctx.cri
    if probe is not None and probe.cgroup_driver:
        return probe.cgroup_driver, f"CRI RuntimeConfig ({probe.endpoint})", True
    host = ctx.host
    if host.exists(CONTAINERD_CONFIG):
        return containerd_cgroup_driver(host.read_text(CONTAINERD_CONFIG)), CONTAINERD_CONFIG, False
    if host.exists(CRIO_CONFIG) or host.is_dir(CRIO_CONFIG_DIR):
        texts = [host.read_text(CRIO_CONFIG)] if host.exists(CRIO_CONFIG) else []
        if host.is_dir(CRIO_CONFIG_DIR):
            texts += [
                host.read_text(f"{CRIO_CONFIG_DIR}/{name}")
                for name in host.listdir(CRIO_CONFIG_DIR)
                if name.endswith(".conf")
            ]
        return crio_cgroup_driver(texts), CRIO_CONFIG, False
    if host.which("containerd"):
        return "cgroupfs", "containerd's default (no config.toml)", False
    return "", "", False


def judge_cgroup_driver(
    kubelet: str,
    kubelet_source: str,
    runtime: str,
    runtime_source: str,
    from_cri: bool,
    kubelet_version: Version | None,
    systemd_booted: bool | None = None,
) -> Finding:
    """``systemd_booted`` is None where it cannot be known (a mounted root, not booted)."""
    details = {
        "kubelet": kubelet,
        "kubelet_source": kubelet_source,
        "runtime": runtime,
        "runtime_source": runtime_source,
    }
    if not runtime:
        return unknown(
            "the container runtime's cgroup driver: no runtime config found",
            "install the runtime before checking",
            **details,
        )
    follows_cri = kubelet_version is not None and kubelet_version.at_least(CGROUP_DRIVER_FROM_CRI)
    if (from_cri and follows_cri) or kubelet == runtime:
        if runtime == "systemd" and systemd_booted is False:
            return without_systemd(details)
        if from_cri and follows_cri:
            return passed(
                f"the kubelet takes the cgroup driver ({runtime}) from the runtime over CRI",
                **details,
            )
        return passed(f"the kubelet and the runtime both use {runtime}", **details)
    return warned(
        f"the kubelet's cgroup driver ({kubelet}, {kubelet_source}) differs from the "
        f"runtime's ({runtime}, {runtime_source}); pods will fail to start",
        "use systemd for both: SystemdCgroup = true in containerd's runc options, and "
        "cgroupDriver: systemd in the KubeletConfiguration",
        **details,
    )


def without_systemd(details: dict[str, str]) -> Finding:
    """The systemd driver asks systemd for every cgroup: without it, the kubelet exits at start
    (seen with v1.37.2 and containerd 2.2.9: its cgroup root "has some missing paths")."""
    return warned(
        f"the kubelet would use the systemd cgroup driver ({details['runtime_source']}), but "
        f"systemd is not running on this host ({SYSTEMD_BOOTED} is missing): the kubelet "
        "will not start",
        "use cgroupfs on a host without systemd: SystemdCgroup = false in containerd's runc "
        "options (the kubelet takes the runtime's driver over CRI)",
        **details,
    )


@REGISTRY.check("CgroupDriver", severity=Severity.WARNING, origin="beyond")
def cgroup_driver(ctx: NodeContext) -> Finding:
    """**beyond**: the kubelet's ``cgroupDriver`` agrees with the runtime's (containerd's
    ``SystemdCgroup``, CRI-O's ``cgroup_manager``, or the runtime's CRI answer), and systemd
    runs where that driver is systemd."""
    text = ctx.host.read_text(KUBELET_CONFIG) if ctx.host.exists(KUBELET_CONFIG) else None
    try:
        kubelet, kubelet_source = kubelet_cgroup_driver(text)
    except ParseError as exc:  # unreadable YAML, or refused by the reader's bounds
        return unknown(
            f"the kubelet's cgroup driver: {exc}",
            f"make {KUBELET_CONFIG} a KubeletConfiguration",
            path=KUBELET_CONFIG,
        )
    runtime, runtime_source, from_cri = runtime_cgroup_driver(ctx)
    booted = ctx.host.is_dir(SYSTEMD_BOOTED) if ctx.host.is_live else None
    return judge_cgroup_driver(
        kubelet,
        kubelet_source,
        runtime,
        runtime_source,
        from_cri,
        ctx.effective_kubelet_version,
        booted,
    )


# DefaultRoute --------------------------------------------------------------------------------


def judge_default_route(v4: list[Route], v6: list[Route], advertise_address: str) -> Finding:
    defaults = default_routes(v4) + default_routes(v6)
    if defaults:
        shown = [
            f"{r.destination}/{r.prefix_length} via {r.gateway} dev {r.interface}" for r in defaults
        ]
        return passed(
            f"default route via {defaults[0].gateway} dev {defaults[0].interface}", routes=shown
        )
    severity = Severity.WARNING if advertise_address else Severity.ERROR
    return problem(
        severity,
        "no default route: kubeadm picks the advertise address (and the kubelet the node IP) "
        "from the default route's interface",
        "add a default route (ip route add default via <gateway>), or set "
        "localAPIEndpoint.advertiseAddress and the kubelet's --node-ip",
        routes=[],
        advertise_address=advertise_address,
    )


@REGISTRY.check("DefaultRoute", severity=Severity.ERROR, origin="beyond")
def default_route(ctx: NodeContext) -> Finding:
    """**beyond**: an IPv4 or IPv6 default route exists (a warning when the advertise address is
    configured, since kubeadm then does not need it)."""
    v4, v6 = facts.routes(ctx.host)
    return judge_default_route(v4, v6, ctx.advertise_address)


# TimeSync ------------------------------------------------------------------------------------


def clock_state() -> int:
    """``adjtimex(2)`` with ``modes = 0`` (read-only): ``TIME_ERROR`` (5) means unsynchronised.

    Called through ``_ctypes`` itself, with the three C types the call needs: the ``ctypes``
    package defines its whole family of types as it is imported, about a millisecond of a run
    that is timed against kubeadm's own preflight, for this one call."""
    import _ctypes

    class Int(_ctypes._SimpleCData):  # type: ignore[type-arg]  # not subscriptable at run time
        _type_ = "i"

    class Char(_ctypes._SimpleCData):  # type: ignore[type-arg]
        _type_ = "c"

    class Function(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = Int

    class Program:
        """What a foreign function asks of its library: a handle. ``None`` is the program's
        own namespace, the libc already mapped (``ctypes.CDLL(None)``): no ldconfig lookup."""

        _handle = _ctypes.dlopen(None)  # type: ignore[arg-type]  # the C API takes None

    adjtimex = Function(("adjtimex", Program))  # type: ignore[arg-type]  # any object with _handle
    timex = (Char * 512)()  # struct timex is ~208 bytes; zeroed modes = read only
    return int(adjtimex(timex))


def judge_clock(state: int) -> Finding:
    if state < 0:
        return unknown(
            "whether the clock is synchronised: adjtimex failed",
            "check chronyc tracking or timedatectl",
        )
    if state == TIME_ERROR:
        return warned(
            "the system clock is not synchronised (adjtimex reports TIME_ERROR); "
            "certificates and etcd leases depend on agreed time",
            "enable NTP: systemctl enable --now chronyd (or systemd-timesyncd)",
            clock_state=state,
        )
    return passed("the system clock is synchronised", clock_state=state)


@REGISTRY.check("TimeSync", severity=Severity.WARNING, origin="beyond")
def time_sync(ctx: NodeContext) -> Finding:
    """**beyond**: the kernel says the clock is synchronised (live host only)."""
    if not ctx.host.is_live:
        if ctx.host.exists("/run/systemd/timesync/synchronized"):
            return passed("systemd-timesyncd marked the clock synchronised")
        return skipped("the clock of a host mounted elsewhere is read on that host only")
    return judge_clock(clock_state())


# ResolvConf ----------------------------------------------------------------------------------


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def judge_resolv_conf(servers: list[str] | None, upstream: list[str] | None) -> Finding:
    """Nameservers present and none on loopback (CoreDNS would forward to itself and loop),
    unless systemd-resolved's upstream file, which kubeadm points the kubelet at, is usable."""
    remediation = (
        "point /etc/resolv.conf at real nameservers, or set the kubelet's resolvConf "
        "to a file that lists them"
    )
    if servers is None:
        return warned("/etc/resolv.conf does not exist: pods get no DNS configuration", remediation)
    if not servers:
        return warned("/etc/resolv.conf lists no nameserver", remediation, nameservers=[])
    loopback = [s for s in servers if _loopback(s)]
    if not loopback:
        return passed(f"nameservers {', '.join(servers)}", nameservers=servers)
    if upstream and not any(_loopback(s) for s in upstream):
        return passed(
            f"/etc/resolv.conf uses {', '.join(loopback)} (systemd-resolved); the "
            f"kubelet gets {RESOLVED_UPSTREAM} ({', '.join(upstream)})",
            nameservers=servers,
            upstream=upstream,
        )
    return warned(
        f"/etc/resolv.conf lists loopback nameservers ({', '.join(loopback)}): CoreDNS "
        "forwarding to them loops back to itself",
        remediation,
        nameservers=servers,
    )


@REGISTRY.check("ResolvConf", severity=Severity.WARNING, origin="beyond")
def resolv_conf(ctx: NodeContext) -> Finding:
    """**beyond**: the resolver CoreDNS and pods inherit is usable."""
    host = ctx.host
    servers = (
        parse_resolv_conf(host.read_text("/etc/resolv.conf"))
        if host.exists("/etc/resolv.conf")
        else None
    )
    upstream = (
        parse_resolv_conf(host.read_text(RESOLVED_UPSTREAM))
        if host.exists(RESOLVED_UPSTREAM)
        else None
    )
    return judge_resolv_conf(servers, upstream)


# MachineID -----------------------------------------------------------------------------------


def judge_machine_id(machine_id: str, machine_id_error: str, uuid: str, uuid_error: str) -> Finding:
    problems = []
    if machine_id_error:
        problems.append(f"/etc/machine-id: {machine_id_error}")
    if uuid_error:
        problems.append(f"/sys/class/dmi/id/product_uuid: {uuid_error}")
    details = {"machine_id": machine_id, "product_uuid": uuid}
    if problems:
        return warned(
            "; ".join(problems) + " (each node needs unique ids)",
            "systemd-machine-id-setup (and give cloned VMs a fresh machine-id)",
            **details,
        )
    return passed("machine-id and product_uuid are readable (compare them across nodes)", **details)


@REGISTRY.check("MachineID", severity=Severity.WARNING, origin="beyond")
def machine_id(ctx: NodeContext) -> Finding:
    """**beyond**: ``/etc/machine-id`` and the DMI product_uuid are readable (kubeadm's docs ask
    for both to be unique per node; cloned VMs share them)."""
    host = ctx.host
    mid, mid_error = "", ""
    try:
        mid = parse_machine_id(host.read_text("/etc/machine-id"))
    except FileNotFoundError:
        mid_error = "does not exist"
    except ParseError as exc:
        mid_error = exc.problem
    uuid, uuid_error = "", ""
    try:
        uuid = host.read_text("/sys/class/dmi/id/product_uuid").strip()
        if not uuid:
            uuid_error = "empty"
    except FileNotFoundError:
        uuid_error = "does not exist (no DMI on this machine)"
    except PermissionError:
        uuid_error = "not readable (run as root)"
    return judge_machine_id(mid, mid_error, uuid, uuid_error)


# Inotify, PidMax -----------------------------------------------------------------------------


def judge_minimums(values: dict[str, int], minimums: dict[str, int]) -> Finding:
    low = {name: value for name, value in values.items() if value < minimums[name]}
    if low:
        shown = ", ".join(f"{n} = {v} (< {minimums[n]})" for n, v in low.items())
        fix = "; ".join(f"sysctl -w {n}={minimums[n]}" for n in low)
        return warned(
            f"{shown}: many pods exhaust it",
            fix + ", and persist in /etc/sysctl.d/k8s.conf",
            **values,
        )
    return passed(", ".join(f"{n} = {v}" for n, v in values.items()), **values)


@REGISTRY.check("Inotify", severity=Severity.WARNING, origin="beyond")
def inotify(ctx: NodeContext) -> Finding:
    """**beyond**: inotify limits high enough for many pods (kind's known-issues values)."""
    values = {name: facts.sysctl_int(ctx.host, name) for name in INOTIFY_MIN}
    return judge_minimums(values, INOTIFY_MIN)


@REGISTRY.check("PidMax", severity=Severity.WARNING, origin="beyond")
def pid_max(ctx: NodeContext) -> Finding:
    """**beyond**: ``kernel.pid_max`` not below the kernel's own default (32768)."""
    values = {"kernel.pid_max": facts.sysctl_int(ctx.host, "kernel.pid_max")}
    return judge_minimums(values, {"kernel.pid_max": PID_MAX_MIN})
