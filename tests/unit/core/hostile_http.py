"""A real HTTP server on 127.0.0.1 that answers every GET in one hostile way, chosen per test:
a body without end, headers or a body sent a byte at a time, or a plain small answer."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = b'{"major": "1", "minor": "37", "gitVersion": "v1.37.2"}'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode: str
    gap_s: float


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        mode = self.server.mode
        try:
            if mode == "trickle-headers":
                head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 4096 + b"\r\n\r\n"
                self._trickle(head)
            elif mode == "endless":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()  # no length: the body ends when the connection does
                zeros = b"0" * (1 << 20)
                while True:
                    self.wfile.write(zeros)
            elif mode == "trickle-body":
                self.send_response(200)
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self._trickle(b" " * 4096)
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(VERSION)))
                self.end_headers()
                self.wfile.write(VERSION)
        except OSError:  # the client gave up: what the tests want
            self.close_connection = True

    def do_POST(self) -> None:
        self.do_GET()

    def _trickle(self, data: bytes) -> None:
        self.close_connection = True
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            time.sleep(self.server.gap_s)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def hostile(mode: str, gap_s: float = 0.5, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """The server's URL while it runs in ``mode`` (over TLS with ``tls``, a server context)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.mode, server.gap_s = mode, gap_s
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
