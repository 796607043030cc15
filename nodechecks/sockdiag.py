"""The live host's TCP listeners from the kernel's socket diagnostics (``NETLINK_SOCK_DIAG``).

What ``ss -ltn`` asks: the kernel returns the sockets in LISTEN only. ``/proc/net/tcp`` lists
every socket instead, in page-sized reads that each walk the whole established-connection hash
table: a few milliseconds on an idle host, far more on a busy node, and the port checks need the
listeners alone. Both see the network namespace of the process, and both give the addresses as
the kernel holds them, so the checks judge the same sockets either way; a host root other than
``/`` is still read from its files (``nodechecks.facts.tcp_sockets``).
"""

from __future__ import annotations

# The C module itself: ``socket.py`` wraps it and turns its constants into enums as it is imported,
# about a millisecond and a half of a run timed against kubeadm's own preflight.
import _socket
import struct

from nodechecks.parsers.net import TCP_LISTEN, TcpSocket

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TIMEOUT_S = 2.0
MAX_DATAGRAMS = 100_000
"""More reply datagrams than any host's listeners fill: a misbehaving kernel cannot loop us."""

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBBI4x32s12x")  # inet_diag_req_v2, an all-zero inet_diag_sockid
_MESSAGE = struct.Struct("=BBBB2s2s16s16s")  # inet_diag_msg up to the sockid's addresses
_ERROR = struct.Struct("=i")


class SockDiagError(OSError):
    """The kernel refused or garbled the dump; the caller reads the files instead."""


def tcp_listeners() -> list[TcpSocket]:
    """The TCP sockets in LISTEN, IPv4 then IPv6 (an IPv6-less kernel has none of the latter)."""
    listeners: list[TcpSocket] = []
    channel = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    try:
        channel.settimeout(TIMEOUT_S)
        for sequence, family in enumerate((_socket.AF_INET, _socket.AF_INET6), start=1):
            listeners += _dump(channel, family, sequence)
    finally:
        channel.close()
    return listeners


def _dump(channel: _socket.socket, family: int, sequence: int) -> list[TcpSocket]:
    body = _REQUEST.pack(family, _socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN, b"")
    header = _HEADER.pack(
        _HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, sequence, 0
    )
    channel.send(header + body)
    found: list[TcpSocket] = []
    for _ in range(MAX_DATAGRAMS):
        data = channel.recv(65536)
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, kind, _flags, seq, _port = _HEADER.unpack_from(data, offset)
            if length < _HEADER.size or offset + length > len(data):
                raise SockDiagError("a truncated netlink message")
            payload = data[offset + _HEADER.size : offset + length]
            offset += (length + 3) & ~3
            if seq != sequence:
                continue
            if kind == NLMSG_DONE:
                return found
            if kind == NLMSG_ERROR:
                code = -_ERROR.unpack_from(payload)[0] if len(payload) >= _ERROR.size else 0
                if family == _socket.AF_INET6 and code in (2, 97):  # ENOENT, EAFNOSUPPORT
                    return found  # no IPv6 in this kernel: no IPv6 listeners, as no tcp6 file
                raise SockDiagError(code, f"sock_diag dump refused: {code}")
            if kind == SOCK_DIAG_BY_FAMILY:
                found.append(_listener(payload))
    raise SockDiagError("the sock_diag dump did not end")


def _listener(payload: bytes) -> TcpSocket:
    if len(payload) < _MESSAGE.size:
        raise SockDiagError("a truncated inet_diag_msg")
    family, state, _timer, _retrans, sport, dport, src, dst = _MESSAGE.unpack_from(payload)
    if family not in (_socket.AF_INET, _socket.AF_INET6):
        raise SockDiagError(f"a reply for address family {family}")
    size = 4 if family == _socket.AF_INET else 16
    return TcpSocket(
        _socket.inet_ntop(family, src[:size]),
        int.from_bytes(sport, "big"),
        _socket.inet_ntop(family, dst[:size]),
        int.from_bytes(dport, "big"),
        state,
    )


__all__ = ["SockDiagError", "tcp_listeners"]
