"""The nodes' network: namespaces, veth pairs, addresses and routes, through pyroute2.

::

    host ──kvn<id>up── hub netns ──n1── node 1 netns (eth0)
                                 └─n2── node 2 netns (eth0) ...

The host routes the cluster's /24 through the hub; the hub forwards between the nodes (its own
``ip_forward``, not the host's) and routes each node's pod /24 to that node; a node's default
route is the hub. Deleting the namespaces deletes every link and route with them.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, NetlinkError, netns

from bootstrap.runtime.nodes.addressing import LINK_BASE, Plan
from kubeadm_verify.errors import BootstrapError

NETNS_DIR = Path("/run/netns")
NODE_IFNAME = "eth0"


def netns_path(name: str) -> Path:
    return NETNS_DIR / name


@contextlib.contextmanager
def _ipr(namespace: str | None = None) -> Iterator[Any]:
    ipr = IPRoute(netns=namespace) if namespace else IPRoute()
    try:
        yield ipr
    finally:
        ipr.close()


def _index(ipr: Any, ifname: str) -> int:
    found = ipr.link_lookup(ifname=ifname)
    if not found:
        raise BootstrapError(f"network link {ifname} vanished while being set up")
    return int(found[0])


def _up(
    ipr: Any, ifname: str, address: ipaddress.IPv4Address | None = None, prefix: int = 30
) -> None:
    index = _index(ipr, ifname)
    if address is not None:
        ipr.addr("add", index=index, address=str(address), prefixlen=prefix)
    ipr.link("set", index=index, state="up")


def routed_networks() -> list[ipaddress.IPv4Network]:
    """Every IPv4 destination the host routes, but its default route."""
    found = []
    with _ipr() as ipr:
        for route in ipr.get_routes(family=2):
            dst = route.get_attr("RTA_DST")
            if dst is not None and route["dst_len"] > 0:
                found.append(ipaddress.IPv4Network(f"{dst}/{route['dst_len']}", strict=False))
    return found


def used_slots() -> set[int]:
    """Slots whose /24 the host already routes (ours, or anyone's)."""
    slots = set()
    with _ipr() as ipr:
        for route in ipr.get_routes(family=2):
            dst = route.get_attr("RTA_DST")
            if dst is None:
                continue
            net = ipaddress.IPv4Network(f"{dst}/{route['dst_len']}", strict=False)
            if net.overlaps(LINK_BASE):
                slots.add(int(net.network_address.packed[2]))
    return slots


def set_sysctl(namespace: str, key: str, value: str) -> None:
    """A per-namespace sysctl, written from inside the namespace (this thread only)."""
    netns.pushns(namespace)
    try:
        Path("/proc/sys", *key.split(".")).write_text(value)
    finally:
        netns.popns()


def create_hub(plan: Plan) -> None:
    """The hub namespace and its uplink to the host, with the host's routes to the slot and,
    unless another cluster's nodes hold it already, to the pod subnet: the API server, on the
    host, reaches pods as on a kubeadm control-plane node (its pod proxy, webhooks). Both routes
    go with the uplink."""
    netns.create(plan.hub_netns)
    set_sysctl(plan.hub_netns, "net.ipv4.ip_forward", "1")
    link = plan.uplink
    with _ipr() as ipr:
        ipr.link(
            "add",
            ifname=plan.host_link,
            kind="veth",
            peer={"ifname": "uplink", "net_ns_fd": plan.hub_netns},
        )
        _up(ipr, plan.host_link, link.near)
        ipr.route("add", dst=str(plan.slot_network), gateway=str(link.far))
        _route_if_free(ipr, plan.pod_subnet, str(link.far))
    with _ipr(plan.hub_netns) as hub:
        _up(hub, "lo")
        _up(hub, "uplink", link.far)
        hub.route("add", dst="0.0.0.0/0", gateway=str(link.near))


def _route_if_free(ipr: Any, dst: str, gateway: str) -> bool:
    """Add the route unless the host routes ``dst`` already (another cluster's pod subnet)."""
    try:
        ipr.route("add", dst=dst, gateway=gateway)
    except NetlinkError as error:
        if error.code != errno.EEXIST:
            raise
        return False
    return True


def refuse_service_subnet(plan: Plan, service_subnet: str) -> None:
    """The hub answers traffic for the Service range with "unreachable" instead of passing it
    on to the host's default route.

    A pod's packet for a Service address is rewritten by kube-proxy inside its node; one sent
    before kube-proxy's first sync leaves unrewritten, and its connection would wait for
    replies that never come (its conntrack entry keeps every retransmission unrewritten too:
    CoreDNS's first connection to the API then hangs for client-go's 30 s dial timeout).
    Refused at once, the client retries on a new connection, which kube-proxy's rules catch.
    """
    for part in service_subnet.split(","):
        if part.strip() and ":" not in part:
            dst = str(ipaddress.IPv4Network(part.strip(), strict=False))
            with _ipr(plan.hub_netns) as hub:
                try:
                    hub.route("add", dst=dst, type="unreachable")
                except NetlinkError as error:
                    if error.code != errno.EEXIST:
                        raise


def create_node_network(plan: Plan, index: int) -> ipaddress.IPv4Address:
    """Node ``index``'s namespace, linked to the hub; returns the node's address."""
    name, link = plan.node_netns(index), plan.node_link(index)
    netns.create(name)
    hub_end = f"n{index}"
    with _ipr(plan.hub_netns) as hub:
        hub.link(
            "add", ifname=hub_end, kind="veth", peer={"ifname": NODE_IFNAME, "net_ns_fd": name}
        )
        _up(hub, hub_end, link.near)
        hub.route("add", dst=plan.pod_cidr(index), gateway=str(link.far))
    with _ipr(name) as node:
        _up(node, "lo")
        _up(node, NODE_IFNAME, link.far)
        node.route("add", dst="0.0.0.0/0", gateway=str(link.near))
    set_sysctl(name, "net.ipv4.ip_forward", "1")
    return link.far


def remove_netns(name: str) -> bool:
    """Remove a namespace we created; False if it was not there."""
    if not netns_path(name).exists():
        return False
    try:
        netns.remove(name)
    except OSError as error:
        if error.errno != errno.ENOENT:
            raise
        return False
    return True


def remove_host_link(ifname: str) -> None:
    """The host end goes with the hub namespace; this catches a hub that was never made."""
    with _ipr() as ipr:
        found = ipr.link_lookup(ifname=ifname)
        if found:
            try:
                ipr.link("del", index=found[0])
            except NetlinkError as error:  # gone with its peer meanwhile
                if error.code != errno.ENODEV:
                    raise
