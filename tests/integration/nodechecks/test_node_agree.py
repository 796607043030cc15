"""On the live host, the files the node tier reads agree with psutil, pyroute2 and the kernel."""

from __future__ import annotations

import os
import socket

import pytest

from nodechecks import facts
from nodechecks.host import Host
from nodechecks.parsers import net, procfs

pytestmark = pytest.mark.integration
LIVE = Host("/")


def test_cpus_agree() -> None:
    psutil = pytest.importorskip("psutil")
    online = procfs.parse_cpu_list(LIVE.read_text("/sys/devices/system/cpu/online"))
    cpuinfo = procfs.count_cpuinfo(LIVE.read_text("/proc/cpuinfo"))
    live = facts.cpu_count(LIVE).value
    assert live == len(os.sched_getaffinity(0))
    assert len(online) == cpuinfo == psutil.cpu_count() == live


def test_memory_agrees() -> None:
    psutil = pytest.importorskip("psutil")
    from_file = procfs.mem_total_mb(LIVE.read_text("/proc/meminfo"))
    assert facts.mem_total_mb(LIVE).value == from_file
    assert psutil.virtual_memory().total // 1024 // 1024 == from_file


def test_swap_agrees() -> None:
    psutil = pytest.importorskip("psutil")
    entries = facts.swaps(LIVE) or []
    assert sum(e.size_kb for e in entries) * 1024 == psutil.swap_memory().total


def test_listening_ports_agree() -> None:
    """Other work on the machine opens and closes listeners, so the file read is bracketed by two
    psutil reads: it must hold every port both saw, and nothing neither saw."""
    psutil = pytest.importorskip("psutil")

    def from_psutil() -> set[int]:
        return {
            c.laddr.port
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        }

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        before = from_psutil()
        from_files = {s.local_port for s in facts.tcp_sockets(LIVE) if s.listening}
        after = from_psutil()
    assert port in from_files
    assert before & after <= from_files <= before | after


def test_default_route_agrees() -> None:
    pyroute2 = pytest.importorskip("pyroute2")
    v4, _ = facts.routes(LIVE)
    from_files = {(r.interface, r.gateway) for r in net.default_routes(v4)}
    with pyroute2.IPRoute() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        routes = ipr.get_default_routes(family=socket.AF_INET, table=254)
        from_netlink = {(names[r.get_attr("RTA_OIF")], r.get_attr("RTA_GATEWAY")) for r in routes}
    assert from_files == from_netlink


def test_cgroup_mode_agrees_with_mountinfo_and_mounts() -> None:
    mode = facts.cgroup_mode(LIVE)
    from_mounts = facts.cgroup_mode_from_mounts(procfs.parse_mounts(LIVE.read_text("/proc/mounts")))
    # upstream's own test for a tmpfs at /sys/fs/cgroup: is /sys/fs/cgroup/memory a directory?
    assert (mode.version == 1) == LIVE.is_dir("/sys/fs/cgroup/memory")
    assert (mode.version, mode.mountpoint) == from_mounts
