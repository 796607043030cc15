"""A real HTTP mirror on 127.0.0.1 for download tests: it serves, truncates, fails on request.

Each route answers with a fixed status and body, or misbehaves in one of the ways a real mirror
or proxy does: a body shorter than its Content-Length, a connection dropped mid-body.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Behaviour(Enum):
    FULL = "full"
    TRUNCATE = "truncate"  # announces the full length, sends half, closes
    DROP = "drop"  # chunked body that stops mid-way without its terminator


@dataclass
class Route:
    body: bytes
    status: int = 200
    behaviour: Behaviour = Behaviour.FULL


@dataclass
class Mirror:
    """Routes by path; ``requested`` lists every path asked for, in order."""

    routes: dict[str, Route] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)
    url: str = ""

    def publish(self, path: str, body: bytes, *, sha512: bool = False) -> None:
        """Serve ``body`` at ``path`` with its sha256 (and sha512) checksum files, as dl.k8s.io."""
        self.routes[path] = Route(body)
        self.routes[path + ".sha256"] = Route(hashlib.sha256(body).hexdigest().encode())
        if sha512:
            self.routes[path + ".sha512"] = Route(hashlib.sha512(body).hexdigest().encode())


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            return

        def do_GET(self) -> None:
            mirror.requested.append(self.path)
            route = mirror.routes.get(self.path, Route(b"not found\n", 404))
            self.send_response(route.status)
            if route.behaviour is Behaviour.DROP:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                half = route.body[: len(route.body) // 2]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.behaviour is Behaviour.TRUNCATE:
                self.wfile.write(route.body[: len(route.body) // 2])
                self.close_connection = True
                return
            self.wfile.write(route.body)

    return Handler


@contextmanager
def serving() -> Iterator[Mirror]:
    """A mirror on an ephemeral port of 127.0.0.1, shut down on the way out."""
    mirror = Mirror()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
    server.daemon_threads = True
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
