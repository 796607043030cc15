"""Addresses of a cluster's nodes: pure arithmetic, so it is unit-tested without a network.

Each cluster of ours with real nodes gets one ``slot``: the /24 ``10.213.<slot>.0``. Its first
/30 links the host to the cluster's hub (a network namespace that routes between the nodes, so
the host never forwards a packet and its ``ip_forward`` stays as it is); the /30 number ``i``
links the hub to node ``i``; index 0 is the control-plane node's, on the slot's last /30. Pods
get ``/24``s of the cluster's pod subnet, one per node: kubeadm's ``podSubnet``, or, when the
cluster has none, the first of 10.244.0.0/16 … 10.255.0.0/16 that no other cluster on the host
routes (the control plane on the host reaches pods through that route). Pod traffic leaving the
pod subnet is masqueraded inside the node.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LINK_BASE = ipaddress.IPv4Network("10.213.0.0/16")
DEFAULT_POD_SUBNET = "10.244.0.0/16"
DEFAULT_POD_SUBNETS = tuple(f"10.{octet}.0.0/16" for octet in range(244, 256))
"""Pod subnets for clusters whose configuration names none, first free first (kubeadm's usual
10.244.0.0/16 while a host has one such cluster)."""
MAX_NODES = 60
"""/30s in a slot after the uplink's, with room to spare."""
CONTROL_PLANE_INDEX = 0
PREFIX = "kvn"


def cluster_id(state_root: Path) -> str:
    """Six hex digits naming a cluster's host objects (netns, links, cgroups) uniquely."""
    return hashlib.sha256(str(state_root).encode()).hexdigest()[:6]


@dataclass(frozen=True)
class Link:
    """A /30 between two ends: ``near`` (host or hub side) and ``far`` (hub or node side)."""

    network: ipaddress.IPv4Network

    @property
    def near(self) -> ipaddress.IPv4Address:
        return self.network.network_address + 1

    @property
    def far(self) -> ipaddress.IPv4Address:
        return self.network.network_address + 2


@dataclass(frozen=True)
class Plan:
    """Everything named or numbered for one cluster's nodes."""

    cid: str
    slot: int
    pod_subnet: str

    @property
    def slot_network(self) -> ipaddress.IPv4Network:
        return list(LINK_BASE.subnets(new_prefix=24))[self.slot]

    @property
    def uplink(self) -> Link:
        return Link(next(self.slot_network.subnets(new_prefix=30)))

    def node_link(self, index: int) -> Link:
        if not 0 <= index <= MAX_NODES:
            raise ValueError(f"node index {index} outside 0..{MAX_NODES}")
        links = list(self.slot_network.subnets(new_prefix=30))
        return Link(links[-1] if index == CONTROL_PLANE_INDEX else links[index])

    def pod_cidr(self, index: int) -> str:
        """The ``index``-th /24 of the pod subnet (node 1 gets the second, leaving .0.0/24
        for a control-plane node)."""
        subnet = ipaddress.IPv4Network(self.pod_subnet)
        return str(list(subnet.subnets(new_prefix=24))[index])

    @property
    def hub_netns(self) -> str:
        return f"{PREFIX}-{self.cid}-hub"

    def node_netns(self, index: int) -> str:
        return f"{PREFIX}-{self.cid}-n{index}"

    @property
    def host_link(self) -> str:
        """The host end of the uplink (interface names have 15 characters at most)."""
        return f"{PREFIX}{self.cid}up"

    def node_name(self, index: int) -> str:
        return f"{PREFIX}-node-{index}"

    def cgroup_root(self, index: int) -> str:
        return f"/{PREFIX}-{self.cid}-n{index}"


def configured_pod_subnet(pod_subnet: str) -> str | None:
    """The IPv4 part of a (possibly dual-stack) ``podSubnet``; None when it has none."""
    for part in pod_subnet.split(","):
        if part.strip() and ":" not in part:
            return str(ipaddress.IPv4Network(part.strip(), strict=False))
    return None


def choose_pod_subnet(pod_subnet: str, routed: Iterable[ipaddress.IPv4Network]) -> str:
    """The cluster's ``podSubnet`` when it has one; else the first of :data:`DEFAULT_POD_SUBNETS`
    that overlaps nothing the host routes already (another cluster's pods).

    The control plane runs on the host and reaches pods through the host's route to their
    subnet (the API server's pod and service proxy, webhooks): two clusters on one host sharing a
    subnet would send one API server's pod traffic to the other cluster's nodes."""
    configured = configured_pod_subnet(pod_subnet)
    if configured is not None:
        return configured
    taken = list(routed)
    for candidate in DEFAULT_POD_SUBNETS:
        network = ipaddress.IPv4Network(candidate)
        if not any(network.overlaps(other) for other in taken):
            return candidate
    return DEFAULT_POD_SUBNET
