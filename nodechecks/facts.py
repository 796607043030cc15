"""Probes: read one fact of the host through its ``Host`` and hand the text to a parser.

Under a root other than ``/`` only files below it are read (the host-root table of the spec). On
the live host the answers come from the kernel interfaces kubeadm itself uses where they differ
from the files (the CPU affinity mask, ``sysinfo`` via ``sysconf``); everything else is the same
``/proc`` and ``/sys`` text, which keeps the tier's start fast: psutil costs ~20 ms and pyroute2
~200 ms to import, and the integration tests prove both agree with what is read here.
"""

from __future__ import annotations

import ipaddress
import os
import re

from kubeadm_verify.record import record
from nodechecks.host import Host
from nodechecks.parsers import ParseError, kconfig, net, procfs

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from kubeadm_verify.typeshim import NamedTuple

CGROUP_ROOT = "/sys/fs/cgroup"


class Fact(NamedTuple):
    """A value with the place it was read from, so every result can show its evidence."""

    value: int
    source: str


def cpu_count(host: Host) -> Fact:
    """CPUs as kubeadm counts them (Go's ``runtime.NumCPU``: the affinity mask) on the live host;
    under a root, the online list, else the ``processor`` entries of cpuinfo."""
    if host.is_live:
        return Fact(len(os.sched_getaffinity(0)), "sched_getaffinity")
    if host.exists("/sys/devices/system/cpu/online"):
        text = host.read_text("/sys/devices/system/cpu/online")
        return Fact(len(procfs.parse_cpu_list(text)), "/sys/devices/system/cpu/online")
    return Fact(procfs.count_cpuinfo(host.read_text("/proc/cpuinfo")), "/proc/cpuinfo")


def mem_total_mb(host: Host) -> Fact:
    """Total RAM in MB: ``sysinfo`` on the live host (as kubeadm), ``MemTotal`` under a root."""
    if host.is_live:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return Fact(total // 1024 // 1024, "sysinfo")
    return Fact(procfs.mem_total_mb(host.read_text("/proc/meminfo")), "/proc/meminfo")


def swaps(host: Host) -> list[procfs.SwapEntry] | None:
    """Active swap areas; ``None`` when ``/proc/swaps`` does not exist (kubeadm then passes)."""
    if not host.exists("/proc/swaps"):
        return None
    return procfs.parse_swaps(host.read_text("/proc/swaps"))


def tcp_sockets(host: Host, *, listening_only: bool = False) -> list[net.TcpSocket]:
    """Every TCP socket of the host's network namespace (or its listeners), IPv4 then IPv6
    (tcp6 may be absent)."""
    sockets = net.parse_proc_net_tcp(
        host.read_text("/proc/net/tcp"), "/proc/net/tcp", listening_only=listening_only
    )
    if host.exists("/proc/net/tcp6"):
        sockets += net.parse_proc_net_tcp(
            host.read_text("/proc/net/tcp6"), "/proc/net/tcp6", listening_only=listening_only
        )
    return sockets


def routes(host: Host) -> tuple[list[net.Route], list[net.Route]]:
    """The IPv4 and IPv6 routing tables of the main table (either file may be absent)."""
    v4 = (
        net.parse_proc_net_route(host.read_text("/proc/net/route"))
        if host.exists("/proc/net/route")
        else []
    )
    v6 = (
        net.parse_proc_net_ipv6_route(host.read_text("/proc/net/ipv6_route"))
        if host.exists("/proc/net/ipv6_route")
        else []
    )
    return v4, v6


def sysctl_path(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def sysctl_int(host: Host, name: str) -> int:
    return procfs.parse_sysctl_int(host.read_text(sysctl_path(name)), name)


class CgroupMode(NamedTuple):
    version: int
    mountpoint: str
    source: str


def cgroup_mode_from_mounts(mounts: list[procfs.Mount]) -> tuple[int, str]:
    """system-validators' ``getUnifiedMountpoint``: the cgroup version and its mount point.

    A mount at ``/sys/fs/cgroup`` decides: ``cgroup2`` there is v2, ``cgroup`` v1, and ``tmpfs``
    there is v1 (or hybrid) when v1 controllers are mounted below it. Upstream stats
    ``/sys/fs/cgroup/memory`` for that last case; we read the same answer from the mount table,
    so a root's own mountinfo decides even when the root has no ``/sys`` (one source, used by
    every check). Otherwise the first ``cgroup2`` mount wins, then the first v1 ``cgroup`` mount.
    """
    first_v1 = ""
    for mount in mounts:
        if "cgroup" not in mount.mountpoint and not mount.fstype.startswith("cgroup"):
            continue
        if mount.mountpoint == CGROUP_ROOT:
            if mount.fstype == "tmpfs":
                return (1 if _v1_controllers_below(mounts) else 2), CGROUP_ROOT
            if mount.fstype in ("cgroup", "cgroup2"):
                return (2 if mount.fstype == "cgroup2" else 1), CGROUP_ROOT
            continue
        if mount.fstype == "cgroup2":
            return 2, mount.mountpoint
        if mount.fstype == "cgroup" and not first_v1:
            first_v1 = mount.mountpoint
    if first_v1:
        return 1, first_v1
    raise ParseError("mounts", "cannot get a cgroupfs mount point")


def _v1_controllers_below(mounts: list[procfs.Mount]) -> bool:
    return any(m.fstype == "cgroup" and m.mountpoint.startswith(CGROUP_ROOT + "/") for m in mounts)


def cgroup_mode(host: Host) -> CgroupMode:
    """The cgroup version from the root's ``mountinfo`` (falling back to ``/proc/mounts``)."""
    if host.exists("/proc/self/mountinfo"):
        source = "/proc/self/mountinfo"
        mounts = procfs.parse_mountinfo(host.read_text(source))
    else:
        source = "/proc/mounts"
        mounts = procfs.parse_mounts(host.read_text(source))
    version, mountpoint = cgroup_mode_from_mounts(mounts)
    return CgroupMode(version, mountpoint, source)


FREEZE_FILE_FROM_KERNEL = (5, 2)
"""``cgroup.freeze`` (the v2 freezer) exists in every non-root cgroup since Linux 5.2."""


def cgroup_subsystems(host: Host, mode: CgroupMode, release: str) -> list[str] | None:
    """Available controllers, or ``None`` when the files that list them are not there.

    v1: ``/proc/cgroups``. v2: ``cgroup.controllers``, plus ``devices`` (always there on v2:
    eBPF) and ``freezer``. Upstream makes a temporary child cgroup to look for ``cgroup.freeze``;
    we never write, so freezer is there when the kernel is 5.2 or newer (the release that added
    it), or when an existing child cgroup shows the file.
    """
    source = "/proc/cgroups" if mode.version == 1 else mode.mountpoint + "/cgroup.controllers"
    try:
        text = host.read_text(source)
    except FileNotFoundError:
        return None
    if mode.version == 1:
        return procfs.parse_proc_cgroups(text)
    subsystems = ["devices"]
    if kernel_at_least(release, FREEZE_FILE_FROM_KERNEL) or _cgroup_freeze_exists(
        host, mode.mountpoint
    ):
        subsystems.append("freezer")
    return subsystems + procfs.parse_cgroup_controllers(text)


def kernel_at_least(release: str, minimum: tuple[int, int]) -> bool:
    """``6.8.0-45-generic`` ≥ (5, 2)? An unparsable release is not assumed to be new."""
    match = re.match(r"^(\d+)\.(\d+)", release)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= minimum


def _cgroup_freeze_exists(host: Host, mountpoint: str) -> bool:
    try:
        children = host.listdir(mountpoint)
    except OSError:
        return False
    return any(
        host.exists(f"{mountpoint}/{child}/cgroup.freeze")
        for child in children
        if host.is_dir(f"{mountpoint}/{child}")
    )


def kernel_config_paths(release: str) -> list[str]:
    """system-validators' search order; the first file that exists is the kernel's config."""
    return [
        "/proc/config.gz",
        f"/boot/config-{release}",
        f"/usr/src/linux-{release}/.config",
        "/usr/src/linux/.config",
        f"/usr/lib/modules/{release}/config",
        f"/usr/lib/ostree-boot/config-{release}",
        f"/usr/lib/kernel/config-{release}",
        f"/usr/src/linux-headers-{release}/.config",
        f"/lib/modules/{release}/build/.config",
    ]


def kernel_config(host: Host, release: str) -> tuple[str, dict[str, str]] | None:
    """The first kernel config found and its options; ``None`` if none exists (never modprobe)."""
    for path in kernel_config_paths(release):
        if host.exists(path) and host.is_file(path):
            text = kconfig.decode_config(host.read_bytes(path), path)
            return path, kconfig.parse_kernel_config(text, path)
    return None


@record
class LocalAddresses:
    """This host's own addresses, as the kernel's local routing table and if_inet6 list them."""

    v4: tuple[ipaddress.IPv4Network, ...]
    v6: tuple[ipaddress.IPv6Address, ...]

    def __contains__(self, address: object) -> bool:
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv4Address):
            return any(ip in network for network in self.v4)
        return ip in self.v6


def local_addresses(host: Host) -> LocalAddresses | None:
    """``None`` when there is nothing to hold a bind against: the kernel's tables are not there
    to read, or the namespace has no routing table at all (a fresh network namespace), where
    the kernel lets any address be bound."""
    if not host.exists("/proc/net/fib_trie"):
        return None
    text = host.read_text("/proc/net/fib_trie")
    if not text.strip():
        return None
    v4 = net.parse_fib_trie_local(text)
    v6 = (
        net.parse_if_inet6(host.read_text("/proc/net/if_inet6"))
        if host.exists("/proc/net/if_inet6")
        else []
    )
    return LocalAddresses(tuple(v4), tuple(v6))


SIOCGIFADDR = 0x8915


def default_route_address(host: Host) -> str:
    """The IPv4 address of the default route's interface, the address kubeadm advertises (and
    binds etcd to) when none is configured. Live host only (an ``ioctl``); ``""`` otherwise."""
    if not host.is_live:
        return ""
    import _socket  # not socket.py, which makes enums of every constant as it is imported
    import fcntl
    import struct

    v4, _ = routes(host)
    defaults = net.default_routes(v4)
    if not defaults:
        return ""
    name = defaults[0].interface.encode()[:15]
    probe = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name))
    except OSError:
        return ""
    finally:
        probe.close()
    return _socket.inet_ntoa(answer[20:24])
