"""A real HTTP server on 127.0.0.1 that plays dl.k8s.io, with ways to misbehave on purpose.

Each path maps to a ``Route``: a status and a body, optionally a ``Content-Length`` that lies
(the connection closes early: a truncated download), a chunked body that breaks off mid-way (the
server fails mid-download), or a delay (so concurrent clients overlap). Every request's path is
recorded, so a test can prove what was and was not fetched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Route:
    body: bytes = b""
    status: int = 200
    claimed_length: int | None = None  # send this Content-Length, then close after the body
    break_after: int | None = None  # chunked: send this many bytes, then drop the connection
    delay_s: float = 0.0
    trickle_s: float = 0.0  # send the body one byte at a time, this long apart
    header_trickle_s: float = 0.0  # send the status line and headers a byte at a time


@dataclass
class Mirror:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for seen in self.requests if seen == path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mirror: Mirror


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        mirror = self.server.mirror
        with mirror.lock:
            mirror.requests.append(self.path)
        route = mirror.routes.get(self.path, Route(b"not found", 404))
        time.sleep(route.delay_s)
        if route.header_trickle_s:
            self._trickle_headers(route)
            return
        self.send_response(route.status)
        if route.break_after is not None:
            self._broken_chunked(route)
            return
        self.send_header("Content-Length", str(route.claimed_length or len(route.body)))
        if route.claimed_length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if route.trickle_s:
            self._trickle(route)
            return
        self.wfile.write(route.body)

    def _trickle(self, route: Route) -> None:
        """A mirror that never stalls long enough for a read timeout, yet never finishes."""
        try:
            for index in range(len(route.body)):
                self.wfile.write(route.body[index : index + 1])
                self.wfile.flush()
                time.sleep(route.trickle_s)
        except OSError:  # the client gave up: what the test wants
            self.close_connection = True

    def _trickle_headers(self, route: Route) -> None:
        """Headers that never stall long enough for a read timeout, yet never end."""
        head = (
            f"HTTP/1.1 {route.status} OK\r\nContent-Length: {len(route.body)}\r\n"
            + "X-Padding: "
            + "x" * 4096
            + "\r\n\r\n"
        ).encode()
        self.close_connection = True
        try:
            for index in range(len(head)):
                self.wfile.write(head[index : index + 1])
                self.wfile.flush()
                time.sleep(route.header_trickle_s)
        except OSError:  # the client gave up: what the test wants
            pass

    def _broken_chunked(self, route: Route) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        part = route.body[: route.break_after]
        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.flush()
        self.close_connection = True  # no terminating chunk: the body is cut off

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test asserts on ``Mirror.requests`` instead."""


@contextmanager
def serve(mirror: Mirror) -> Iterator[Mirror]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.mirror = mirror
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def publish(
    mirror: Mirror,
    version: str,
    tarball: bytes,
    *,
    sha256: str | None,
    sha512: str | None = None,
    route: Route | None = None,
) -> str:
    """Put a package (and the checksums given) where dl.k8s.io would; return its path."""
    path = f"/release/{version}/kubernetes-test-linux-amd64.tar.gz"
    mirror.routes[path] = route or Route(tarball)
    if sha256 is not None:
        mirror.routes[f"{path}.sha256"] = Route(sha256.encode())
    if sha512 is not None:
        mirror.routes[f"{path}.sha512"] = Route(sha512.encode())
    return path
