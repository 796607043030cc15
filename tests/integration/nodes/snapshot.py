"""The host state real nodes may touch, captured so a test can assert "as it was".

Processes are limited to the programs a node runs (other work on the machine comes and goes);
everything else is taken whole: mount points, network namespaces, host links, the host's
iptables rules, cgroup directories, the sysctls a kubelet or kube-proxy would change, and the
fixed paths a node's programs could create.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil
from pyroute2 import IPRoute

from bootstrap.nodes.cgroups import hierarchies
from bootstrap.nodes.hostrecord import HOST_PATHS, KUBELET_SYSCTLS, sysctl_path

NODE_PROGRAMS = ("kubelet", "containerd", "containerd-shim-runc-v2", "pause", "agnhost",
                 "coredns", "kube-proxy")
NET_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet",
               "net.netfilter.nf_conntrack_tcp_timeout_established",
               "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
               "net.netfilter.nf_conntrack_max")


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
    for proc in psutil.process_iter(["pid", "name"]):
        if proc.info["name"] in NODE_PROGRAMS:
            found.add((int(proc.info["pid"]), str(proc.info["name"])))
    return frozenset(found)


def _links() -> frozenset[str]:
    with IPRoute() as ipr:
        return frozenset(str(link.get_attr("IFLA_IFNAME")) for link in ipr.get_links())


def _iptables() -> tuple[str, ...]:
    out = subprocess.run(["iptables-save"], capture_output=True, text=True, check=False,
                         timeout=30).stdout
    return tuple(line for line in out.splitlines()
                 if not line.startswith("#") and not line.startswith(":"))


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
        mounts=frozenset(p.mountpoint for p in psutil.disk_partitions(all=True)),
        netns=frozenset(p.name for p in netns_dir.iterdir()) if netns_dir.is_dir()
        else frozenset(),
        links=_links(), iptables=_iptables(), cgroups=_cgroups(), sysctls=_sysctls(),
        paths=frozenset(p for p in HOST_PATHS if os.path.lexists(p)),
    )
