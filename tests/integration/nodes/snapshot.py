"""The host state real nodes may touch, captured so a test can assert "as it was".

Other work on this machine makes its own network namespaces, links and processes while a test
runs, so those are limited to what a node could make: the programs a node runs, namespaces and
links named ``kvn*``, ``cni*`` or ``veth*`` (and their mounts). A killed container whose shim
died with it is reparented to init and is a zombie until init reaps it: zombies are dead and not
counted. The rest is taken whole: mount points, the host's iptables rules, cgroup directories,
the sysctls a kubelet or kube-proxy would change, and the fixed paths a node's programs could
create.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil
from pyroute2 import IPRoute

from bootstrap.runtime.nodes.cgroups import hierarchies
from bootstrap.runtime.nodes.hostrecord import HOST_PATHS, KUBELET_SYSCTLS, sysctl_path

NODE_PROGRAMS = (
    "kubelet",
    "containerd",
    "containerd-shim-runc-v2",
    "pause",
    "agnhost",
    "coredns",
    "kube-proxy",
)
NAMES = ("kvn", "cni", "veth")
NET_SYSCTLS = (
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
    "net.netfilter.nf_conntrack_max",
)


@dataclass(frozen=True)
class HostSnapshot:
    processes: frozenset[tuple[int, str]]
    mounts: frozenset[str]
    netns: frozenset[str]
    links: frozenset[str]
    iptables: tuple[str, ...]
    cgroups: frozenset[str]
    sysctls: tuple[tuple[str, str], ...]
    paths: frozenset[str]

    def differences(self, other: HostSnapshot) -> dict[str, object]:
        found: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                if isinstance(mine, frozenset):
                    found[name] = {"gone": sorted(mine - theirs), "new": sorted(theirs - mine)}
                else:
                    found[name] = {"before": mine, "after": theirs}
        return found


def _processes() -> frozenset[tuple[int, str]]:
    found = set()
    for proc in psutil.process_iter(["pid", "name", "status"]):
        info = proc.info
        if info["name"] in NODE_PROGRAMS and info["status"] != psutil.STATUS_ZOMBIE:
            found.add((int(proc.info["pid"]), str(proc.info["name"])))
    return frozenset(found)


def ours(name: str) -> bool:
    return name.startswith(NAMES)


def _links() -> frozenset[str]:
    with IPRoute() as ipr:
        names = (str(link.get_attr("IFLA_IFNAME")) for link in ipr.get_links())
        return frozenset(name for name in names if ours(name))


def _mounts() -> frozenset[str]:
    points = (part.mountpoint for part in psutil.disk_partitions(all=True))
    return frozenset(
        point for point in points if not point.startswith("/run/netns/") or ours(Path(point).name)
    )


def _iptables() -> tuple[str, ...]:
    out = subprocess.run(
        ["iptables-save"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    return tuple(
        line for line in out.splitlines() if not line.startswith("#") and not line.startswith(":")
    )


def _cgroups() -> frozenset[str]:
    found = set()
    for hierarchy in hierarchies():
        for directory, _, _ in os.walk(hierarchy):
            found.add(directory)
    return frozenset(found)


def _sysctls() -> tuple[tuple[str, str], ...]:
    values = []
    for key in (*KUBELET_SYSCTLS, *NET_SYSCTLS):
        try:
            values.append((key, sysctl_path(key).read_text().strip()))
        except OSError:
            values.append((key, "<absent>"))
    return tuple(values)


def take() -> HostSnapshot:
    netns_dir = Path("/run/netns")
    return HostSnapshot(
        processes=_processes(),
        mounts=_mounts(),
        netns=frozenset(p.name for p in netns_dir.iterdir() if ours(p.name))
        if netns_dir.is_dir()
        else frozenset(),
        links=_links(),
        iptables=_iptables(),
        cgroups=_cgroups(),
        sysctls=_sysctls(),
        paths=frozenset(p for p in HOST_PATHS if os.path.lexists(p)),
    )
