"""One overall deadline for an HTTP exchange: connect, TLS handshake, headers and body together.

urllib3 (and ``requests`` above it) bounds each socket read, never an exchange: a server that
sends one byte of its headers or body every few seconds keeps every read timeout from firing and
a run waiting forever. A ``Deadline`` is a timer that, when it fires, shuts down every socket
opened or used under it, wherever the reading thread is blocked; the caller then sees
``expired`` and says so in one line.

Sockets are caught where urllib3 opens them (``_new_conn``, the one place every plain and TLS
connection is made) and again before each response is read (a kept-alive connection), by the
connection classes of pools made with ``watch_pools``. Which deadline applies is the one entered
last in the calling context (a ``ContextVar``), so a pool shared by several threads is watched
for each call separately, and a pool used outside any deadline behaves as before.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse

_CURRENT: ContextVar[Deadline | None] = ContextVar("kubeadm_verify_deadline", default=None)


class Deadline:
    """``seconds`` from ``__enter__`` for every HTTP exchange made in this context."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._fired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._token: Token[Deadline | None] | None = None

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._token = _CURRENT.set(self)
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        if self._token is not None:
            _CURRENT.reset(self._token)
        with self._lock:
            self._sockets.clear()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._end

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def watch(self, sock: socket.socket | None) -> None:
        """End ``sock`` when the deadline passes (at once if it has)."""
        if sock is None:
            return
        with self._lock:
            if not self._fired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake whatever thread is blocked on ``sock``: it reads end of file, or an error."""
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.watch(sock)


class WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class WatchedHTTPSConnection(WatchedHTTPConnection, HTTPSConnection):
    """The same watch over TLS: ``WatchedHTTPConnection``'s methods, then ``HTTPSConnection``'s."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def watch_pools(pool_manager: Any) -> None:
    """Make the pools ``pool_manager`` creates from now on watched by the current deadline."""
    pool_manager.pool_classes_by_scheme = {
        "http": WatchedHTTPConnectionPool,
        "https": WatchedHTTPSConnectionPool,
    }
