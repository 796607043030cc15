"""One deadline over a whole download: connect, response headers, checksums and body together.

``requests`` bounds each socket read, never a request: a mirror that sends one byte of its
headers, or of a checksum file, every few seconds keeps a read timeout from ever firing and a
run waiting forever. A ``Deadline`` is a timer that, when it fires, shuts down every socket its
session opened, wherever the reading thread is blocked (connecting, in the TLS handshake, in the
headers, in the body); the caller then sees its deadline expired and says so in one line.

The socket is caught where urllib3 opens it (``HTTPConnection._new_conn``, the one place every
plain and TLS connection is made), through connection classes of this session's own pools, so
no other session in the process is touched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kubeadm_verify.errors import FetchError

CONNECT_S = 10.0
READ_S = 60.0
"""Per-read timeouts inside the deadline: a silent mirror is found before the deadline."""


class Deadline:
    """``seconds`` from ``__enter__`` for everything a session does; ``flag`` names the option
    that sets it, in the error."""

    def __init__(self, seconds: float, flag: str = "--download-timeout") -> None:
        self.seconds = seconds
        self.flag = flag
        self._end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self._end

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def timeouts(self, url: str) -> tuple[float, float]:
        """``requests``' (connect, read) timeouts, never beyond what is left."""
        left = self.remaining()
        if left <= 0:
            raise self.error(url)
        return min(CONNECT_S, left), min(READ_S, left)

    def error(self, url: str) -> FetchError:
        return FetchError(f"{url}: the download did not finish within {self.seconds:g}s "
                          f"({self.flag})")

    def check(self, url: str) -> None:
        if self.expired:
            raise self.error(url)

    def session(self) -> requests.Session:
        """A session whose every connection ends when the deadline does."""
        session = requests.Session()
        session.headers["User-Agent"] = "kubeadm-verify"
        adapter = _DeadlineAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._expired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake whatever thread is blocked on ``sock``: it reads end of file, or an error."""
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


class _DeadlineAdapter(HTTPAdapter):
    """``requests``' adapter, with pools whose connections report their sockets to a deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        deadline = self._deadline

        class Watched(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                deadline.watch(sock)
                return sock

        class WatchedTLS(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                deadline.watch(sock)
                return sock

        class Pool(HTTPConnectionPool):
            ConnectionCls = Watched

        class PoolTLS(HTTPSConnectionPool):
            ConnectionCls = WatchedTLS

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": PoolTLS}
