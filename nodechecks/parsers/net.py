"""``/proc/net`` text: TCP socket tables and routing tables, IPv4 and IPv6."""

from __future__ import annotations

import _socket  # not socket.py, which makes enums of every constant as it is imported
import ipaddress
import re
import struct

from nodechecks.parsers import ParseError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from kubeadm_verify.typeshim import NamedTuple

TCP_LISTEN = 0x0A
RTF_UP = 0x0001
RTF_GATEWAY = 0x0002
RTF_REJECT = 0x0200


class TcpSocket(NamedTuple):
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    state: int

    @property
    def listening(self) -> bool:
        return self.state == TCP_LISTEN


def _hex_address(value: str) -> str:
    """Decode the kernel's hex address: 32-bit words in host byte order (little-endian here)."""
    raw = bytes.fromhex(value)
    if len(raw) not in (4, 16):
        raise ValueError(f"address of {len(raw)} bytes")
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    packed = struct.pack(f">{len(words)}I", *words)
    family = _socket.AF_INET if len(packed) == 4 else _socket.AF_INET6
    return _socket.inet_ntop(family, packed)


_TCP_ROW = (  # compiled at its first use (``re`` keeps it): most runs read sockets by netlink
    r"^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})"
    r"\s+([0-9A-Fa-f]{2})\s"
)


def parse_proc_net_tcp(
    text: str, source: str = "tcp", *, listening_only: bool = False
) -> list[TcpSocket]:
    """``/proc/net/tcp`` or ``tcp6``: a header line, then one row per socket.

    ``listening_only`` still checks every row but decodes the addresses of LISTEN rows only: a
    busy host has thousands of connected sockets, and the port checks look at listeners alone."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if "local_address" not in lines[0]:
        raise ParseError(source, "the first line is not the header")
    sockets = []
    for line in lines[1:]:
        match = re.match(_TCP_ROW, line)
        if match is None:
            raise ParseError(source, "a row does not have the expected fields")
        state = int(match.group(5), 16)
        if listening_only and state != TCP_LISTEN:
            continue
        try:
            local, remote = _hex_address(match.group(1)), _hex_address(match.group(3))
        except ValueError as exc:
            raise ParseError(source, "a row holds an address that does not decode") from exc
        sockets.append(
            TcpSocket(local, int(match.group(2), 16), remote, int(match.group(4), 16), state)
        )
    return sockets


def listeners_on(sockets: list[TcpSocket], port: int) -> list[TcpSocket]:
    """Sockets in LISTEN on ``port``; connected sockets that merely use the port do not count."""
    return [s for s in sockets if s.listening and s.local_port == port]


class Route(NamedTuple):
    interface: str
    destination: str
    prefix_length: int
    gateway: str
    flags: int
    metric: int

    @property
    def is_default(self) -> bool:
        return self.prefix_length == 0 and bool(self.flags & RTF_UP) and not self.flags & RTF_REJECT


def parse_proc_net_route(text: str) -> list[Route]:
    """``/proc/net/route`` (IPv4): addresses and masks are little-endian hex words."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if not lines[0].startswith("Iface"):
        raise ParseError("route", "the first line is not the header")
    routes = []
    for line in lines[1:]:
        parts = line.split()
        try:
            destination, gateway = _hex_address(parts[1]), _hex_address(parts[2])
            mask = int(ipaddress.IPv4Address(_hex_address(parts[7])))
            flags, metric = int(parts[3], 16), int(parts[6])
        except (ValueError, IndexError) as exc:
            raise ParseError("route", "a row does not have the expected fields") from exc
        prefix = bin(mask).count("1")
        routes.append(Route(parts[0], destination, prefix, gateway, flags, metric))
    return routes


def parse_proc_net_ipv6_route(text: str) -> list[Route]:
    """``/proc/net/ipv6_route``: big-endian hex, no header, interface name last."""
    routes = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 10:
                raise ValueError("expected 10 fields")
            destination = str(ipaddress.IPv6Address(bytes.fromhex(parts[0])))
            gateway = str(ipaddress.IPv6Address(bytes.fromhex(parts[4])))
            prefix, metric, flags = int(parts[1], 16), int(parts[5], 16), int(parts[8], 16)
        except ValueError as exc:
            raise ParseError("ipv6_route", "a row does not have the expected fields") from exc
        routes.append(Route(parts[9], destination, prefix, gateway, flags, metric))
    return routes


def default_routes(routes: list[Route]) -> list[Route]:
    """Usable default routes: prefix 0, up, no reject (IPv6 keeps an unreachable one on ``lo``)."""
    return [route for route in routes if route.is_default]


def parse_fib_trie_local(text: str) -> list[ipaddress.IPv4Network]:
    """The IPv4 networks the kernel treats as this host's own (``host LOCAL`` entries of
    ``/proc/net/fib_trie``): a bind to an address in them can succeed, to any other cannot."""
    networks: set[ipaddress.IPv4Network] = set()
    last = ""
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "|--":
            last = words[1]
        elif len(words) >= 3 and words[0].startswith("/") and words[1:3] == ["host", "LOCAL"]:
            try:
                networks.add(ipaddress.IPv4Network(f"{last}{words[0]}", strict=False))
            except ValueError as exc:
                raise ParseError("fib_trie", "a LOCAL entry is not an address") from exc
    return sorted(networks)


def parse_if_inet6(text: str) -> list[ipaddress.IPv6Address]:
    """The IPv6 addresses of ``/proc/net/if_inet6`` (32 hex digits first on each line)."""
    addresses = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        try:
            addresses.append(ipaddress.IPv6Address(bytes.fromhex(words[0])))
        except ValueError as exc:
            raise ParseError("if_inet6", "a line does not start with an address") from exc
    return addresses
