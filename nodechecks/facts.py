"""Probes: read one fact of the host through its ``Host`` and hand the text to a parser.

Under a root other than ``/`` only files below it are read (the host-root table of the spec). On
the live host the answers come from the kernel interfaces kubeadm itself uses where they differ
from the files (the CPU affinity mask, ``sysinfo`` via ``sysconf``); everything else is the same
``/proc`` and ``/sys`` text, which keeps the tier's start fast: psutil costs ~20 ms and pyroute2
~200 ms to import, and the integration tests prove both agree with what is read here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from nodechecks.host import Host
from nodechecks.parsers import ParseError, kconfig, net, procfs

CGROUP_ROOT = "/sys/fs/cgroup"


@dataclass(frozen=True)
class Fact:
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


def tcp_sockets(host: Host) -> list[net.TcpSocket]:
    """Every TCP socket of the host's network namespace, IPv4 then IPv6 (tcp6 may be absent)."""
    sockets = net.parse_proc_net_tcp(host.read_text("/proc/net/tcp"), "/proc/net/tcp")
    if host.exists("/proc/net/tcp6"):
        sockets += net.parse_proc_net_tcp(host.read_text("/proc/net/tcp6"), "/proc/net/tcp6")
    return sockets


def routes(host: Host) -> tuple[list[net.Route], list[net.Route]]:
    """The IPv4 and IPv6 routing tables of the main table (either file may be absent)."""
    v4 = net.parse_proc_net_route(host.read_text("/proc/net/route")) if host.exists(
        "/proc/net/route") else []
    v6 = net.parse_proc_net_ipv6_route(host.read_text("/proc/net/ipv6_route")) if host.exists(
        "/proc/net/ipv6_route") else []
    return v4, v6


def sysctl_path(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def sysctl_int(host: Host, name: str) -> int:
    return procfs.parse_sysctl_int(host.read_text(sysctl_path(name)), name)


@dataclass(frozen=True)
class CgroupMode:
    version: int
    mountpoint: str
    source: str


def cgroup_mode_from_mounts(mounts: list[procfs.Mount], memory_is_dir: bool) -> tuple[int, str]:
    """system-validators' ``getUnifiedMountpoint``: the cgroup version and its mount point.

    A mount at ``/sys/fs/cgroup`` decides: ``tmpfs`` there is v1 while a ``memory`` directory
    exists under it (v1 or hybrid), ``cgroup2`` there is v2. Otherwise the first ``cgroup2``
    mount wins, then the first v1 ``cgroup`` mount.
    """
    first_v1 = ""
    for mount in mounts:
        if "cgroup" not in mount.mountpoint and not mount.fstype.startswith("cgroup"):
            continue
        if mount.mountpoint == CGROUP_ROOT:
            if mount.fstype == "tmpfs":
                return (1 if memory_is_dir else 2), CGROUP_ROOT
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


def cgroup_mode(host: Host) -> CgroupMode:
    """The cgroup version from ``mountinfo`` (falling back to ``/proc/mounts``)."""
    if host.exists("/proc/self/mountinfo"):
        source = "/proc/self/mountinfo"
        mounts = procfs.parse_mountinfo(host.read_text(source))
    else:
        source = "/proc/mounts"
        mounts = procfs.parse_mounts(host.read_text(source))
    version, mountpoint = cgroup_mode_from_mounts(mounts, host.is_dir(CGROUP_ROOT + "/memory"))
    return CgroupMode(version, mountpoint, source)


def cgroup_subsystems(host: Host, mode: CgroupMode) -> list[str]:
    """Available controllers: v1 from ``/proc/cgroups``; v2 from ``cgroup.controllers``, plus
    ``devices`` (always there on v2: eBPF) and ``freezer`` if ``cgroup.freeze`` exists.

    Upstream makes a temporary child cgroup to look for ``cgroup.freeze``; we never write, so we
    look at the root's children that exist (the root cgroup itself has no ``cgroup.freeze``).
    """
    if mode.version == 1:
        return procfs.parse_proc_cgroups(host.read_text("/proc/cgroups"))
    subsystems = ["devices"]
    if _cgroup_freeze_exists(host, mode.mountpoint):
        subsystems.append("freezer")
    controllers = host.read_text(mode.mountpoint + "/cgroup.controllers")
    return subsystems + procfs.parse_cgroup_controllers(controllers)


def _cgroup_freeze_exists(host: Host, mountpoint: str) -> bool:
    if host.exists(mountpoint + "/cgroup.freeze"):
        return True
    try:
        children = host.listdir(mountpoint)
    except OSError:
        return False
    return any(host.exists(f"{mountpoint}/{child}/cgroup.freeze") for child in children
               if host.is_dir(f"{mountpoint}/{child}"))


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
