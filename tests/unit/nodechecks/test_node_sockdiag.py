"""The live host's listeners from the kernel's socket diagnostics, against /proc/net/tcp."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from nodechecks import facts, sockdiag
from nodechecks.context import NodeContext
from nodechecks.host import Host
from nodechecks.parsers.net import TCP_LISTEN, TcpSocket

LIVE = Host("/")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def from_files() -> set[TcpSocket]:
    return set(facts.tcp_sockets(LIVE, listening_only=True))


def test_a_listener_is_listed_and_a_bound_socket_is_not(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))  # bound, not listening: cannot hold a port kubeadm binds
        listed = sockdiag.tcp_listeners()
        remote = "0.0.0.0"  # noqa: S104  (a listener has no peer: the kernel says 0.0.0.0:0)
        assert TcpSocket("127.0.0.1", port, remote, 0, TCP_LISTEN) in listed
        assert bound.getsockname()[1] not in {s.local_port for s in listed}
    assert all(s.state == TCP_LISTEN for s in listed)


def test_an_ipv6_listener_is_listed() -> None:
    if not socket.has_ipv6 or not LIVE.exists("/proc/net/tcp6"):
        pytest.skip("this kernel has no IPv6")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert TcpSocket("::1", port, "::", 0, TCP_LISTEN) in sockdiag.tcp_listeners()


def test_the_kernels_list_is_the_files_list(listener: socket.socket) -> None:
    """Both views of the same namespace; other work opens and closes sockets meanwhile, so the
    kernel's list must hold what both reads around it saw and nothing neither saw."""
    before, listed, after = from_files(), set(sockdiag.tcp_listeners()), from_files()
    assert before & after <= listed <= before | after
    assert listener.getsockname()[1] in {s.local_port for s in listed}


def test_a_refusal_falls_back_to_the_files(
    monkeypatch: pytest.MonkeyPatch, listener: socket.socket
) -> None:
    def refused() -> list[TcpSocket]:
        raise sockdiag.SockDiagError(1, "sock_diag dump refused: 1")

    monkeypatch.setattr(sockdiag, "tcp_listeners", refused)
    listed = NodeContext(host=LIVE).tcp_listeners
    assert listener.getsockname()[1] in {s.local_port for s in listed}


class Replies:
    """The kernel's side of the netlink socket: recorded replies, handed out in order."""

    def __init__(self, *replies: bytes) -> None:
        self.replies = list(replies)

    def send(self, data: bytes) -> int:
        return len(data)

    def recv(self, size: int) -> bytes:
        return self.replies.pop(0)


def message(kind: int, sequence: int, payload: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(payload), kind, 0, sequence, 0) + payload


def test_an_error_reply_is_refused_and_a_missing_ipv6_is_no_listener() -> None:
    eperm = message(sockdiag.NLMSG_ERROR, 1, struct.pack("=i", -1) + bytes(16))
    with pytest.raises(sockdiag.SockDiagError, match="refused"):
        sockdiag._dump(Replies(eperm), socket.AF_INET, 1)  # type: ignore[arg-type]
    no_ipv6 = message(sockdiag.NLMSG_ERROR, 2, struct.pack("=i", -97) + bytes(16))
    assert sockdiag._dump(Replies(no_ipv6), socket.AF_INET6, 2) == []  # type: ignore[arg-type]
    truncated = message(sockdiag.SOCK_DIAG_BY_FAMILY, 1, bytes(8))
    with pytest.raises(sockdiag.SockDiagError, match="truncated"):
        sockdiag._dump(Replies(truncated), socket.AF_INET, 1)  # type: ignore[arg-type]
    foreign = message(sockdiag.SOCK_DIAG_BY_FAMILY, 1, bytes([99, TCP_LISTEN]) + bytes(70))
    with pytest.raises(sockdiag.SockDiagError, match="family 99"):
        sockdiag._dump(Replies(foreign), socket.AF_INET, 1)  # type: ignore[arg-type]


def test_a_recorded_dump_decodes_in_order() -> None:
    """Two listeners in one datagram, a reply of another request skipped, then the end."""

    def reply(address: bytes, port: int, sequence: int = 1) -> bytes:
        sockid = port.to_bytes(2, "big") + bytes(2) + address.ljust(16, b"\0") + bytes(16 + 12)
        body = bytes([socket.AF_INET, TCP_LISTEN, 0, 0]) + sockid + bytes(20)
        return message(sockdiag.SOCK_DIAG_BY_FAMILY, sequence, body)

    first = reply(bytes([127, 0, 0, 1]), 2379) + reply(bytes(4), 6443, sequence=7)
    second = reply(bytes([10, 0, 0, 5]), 2380) + message(sockdiag.NLMSG_DONE, 1, bytes(4))
    assert sockdiag._dump(Replies(first, second), socket.AF_INET, 1) == [  # type: ignore[arg-type]
        TcpSocket("127.0.0.1", 2379, "0.0.0.0", 0, TCP_LISTEN),  # noqa: S104
        TcpSocket("10.0.0.5", 2380, "0.0.0.0", 0, TCP_LISTEN),  # noqa: S104
    ]
