"""The control plane's own ports, seen from the host it runs on.

kubeadm's controller-manager, scheduler and etcd publish nothing in the API: where they listen is
seen only on their host. When the suite runs there (``kubeadm-verify cluster --up``, or on a
kubeadm control-plane node), the socket table says it: the API server of *this* cluster is the
``kube-apiserver`` process listening on the kubeconfig's port; its controller-manager and
scheduler are the processes of those names connected to that port; its etcd is the ``etcd``
process whose socket the API server is connected to. Several clusters on one host never mix, and
no credential is sent to find them. A control plane that does not run here is another kind of
cluster (nothing to observe from here); one whose sockets cannot be attributed is not judged.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psutil

APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
ETCD = "etcd"


class ElsewhereError(Exception):
    """The control plane does not run on this host: its ports cannot be observed from here."""


class UnattributedError(Exception):
    """A socket of the API server is here, but which process holds it cannot be seen."""


@dataclass(frozen=True)
class Listener:
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address.split("%")[0]).is_loopback

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass
class Component:
    """One process of the control plane: its pid and the TCP sockets it listens on."""

    name: str
    pid: int
    listeners: list[Listener] = field(default_factory=list)


def _name(pid: int | None) -> str:
    if pid is None:
        return ""
    try:
        return str(psutil.Process(pid).name())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


def _local_addresses() -> set[str]:
    return {
        a.address.split("%")[0]
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family in (socket.AF_INET, socket.AF_INET6)
    }


def _resolve(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        return set()


@dataclass(frozen=True)
class Plane:
    """The control plane of the cluster whose API server is at ``server``, found on this host."""

    apiserver: Component
    others: dict[str, list[Component]]

    def component(self, name: str) -> Component:
        found = self.others.get(name, [])
        if not found:
            raise AssertionError(
                f"no {name} process of this cluster is on the host its API server runs on "
                "(kubeadm runs the control plane together)"
            )
        return found[0]


def find(server: str) -> Plane:
    """This cluster's control plane on this host, or why it cannot be found."""
    parts = urlsplit(server)
    host, port = parts.hostname or "", parts.port or 443
    addresses = _resolve(host)
    if not addresses & (_local_addresses() | {"127.0.0.1", "::1"}):
        raise ElsewhereError(f"the API server {host} is not an address of this host")
    connections: list[Any] = list(psutil.net_connections(kind="tcp"))
    listening = [c for c in connections if c.status == psutil.CONN_LISTEN]
    on_port = [c for c in listening if c.laddr.port == port]
    if not on_port:
        raise ElsewhereError(
            f"nothing on this host listens on the API server's port {port} "
            "(a proxy or a container forwards it)"
        )
    owners: set[int | None] = {c.pid for c in on_port}
    if None in owners:
        raise UnattributedError(f"this user cannot see which process listens on port {port}")
    apiservers = [pid for pid in owners if pid is not None and _name(pid) == APISERVER]
    if not apiservers:
        raise ElsewhereError(
            f"port {port} is held by {sorted(_name(p) for p in owners)}, not "
            f"{APISERVER} (a load balancer or a proxy fronts it)"
        )
    apiserver = _component(APISERVER, apiservers[0], listening)
    names = {pid: _name(pid) for pid in {c.pid for c in connections} if pid is not None}
    return Plane(apiserver, attribute(apiserver, connections, listening, names))


def _component(name: str, pid: int, listening: Iterable[Any]) -> Component:
    sockets = [Listener(str(c.laddr.ip), int(c.laddr.port)) for c in listening if c.pid == pid]
    return Component(name, pid, sorted(set(sockets), key=str))


def attribute(
    apiserver: Component, connections: list[Any], listening: list[Any], names: dict[int, str]
) -> dict[str, list[Component]]:
    """The API server's clients (controller-manager, scheduler) and servers (etcd), found by
    their connections to it; ``names`` is each pid's process name."""
    api_ports = {listener.port for listener in apiserver.listeners}
    found: dict[str, set[int]] = {CONTROLLER_MANAGER: set(), SCHEDULER: set(), ETCD: set()}
    listener_pid = {(str(c.laddr.ip), int(c.laddr.port)): c.pid for c in listening}
    for conn in connections:
        raddr, pid = conn.raddr, conn.pid
        if not raddr or pid is None:
            continue
        name = names.get(pid, "")
        if name in (CONTROLLER_MANAGER, SCHEDULER) and raddr.port in api_ports:
            found[name].add(pid)
        if pid == apiserver.pid:
            server = listener_pid.get((str(raddr.ip), int(raddr.port)))
            if server is None:
                wildcard = "::" if ":" in str(raddr.ip) else "0.0.0.0"  # noqa: S104 (reading)
                server = listener_pid.get((wildcard, int(raddr.port)))
            if server is not None and names.get(server) == ETCD:
                found[ETCD].add(server)
    return {
        name: [_component(name, pid, listening) for pid in sorted(pids)]
        for name, pids in found.items()
    }
