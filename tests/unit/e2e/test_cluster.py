"""The server's version over a real HTTP server, through the core's one loader."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from conformance.e2e.cluster import server_version
from kubeadm_verify.access import Target, resolve
from kubeadm_verify.errors import ClusterError, InputError

TOKEN = "abcdef.0123456789abcdef"


class VersionHandler(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path.rstrip("/"), (404, {"kind": "Status"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def serve(answers: dict[str, tuple[int, dict[str, Any]]]) -> Iterator[str]:
    handler = type("Handler", (VersionHandler,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def kubeconfig(tmp_path: Path, server: str, name: str = "kubeconfig") -> Path:
    path = tmp_path / name
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: "{server}"
users:
- name: u
  user:
    token: {TOKEN}
contexts:
- name: ctx
  context: {{cluster: c, user: u}}
- name: other
  context: {{cluster: c, user: u}}
current-context: ctx
""")
    return path


@pytest.fixture
def apiserver() -> Iterator[str]:
    yield from serve(
        {"/version": (200, {"gitVersion": "v1.37.2+vendor.1", "major": "1", "minor": "37"})}
    )


def target(flag: str | None, context: str | None = None) -> Target:
    return resolve(flag, context)


def test_version_from_the_server(tmp_path: Path, apiserver: str) -> None:
    assert server_version(target(str(kubeconfig(tmp_path, apiserver)))) == "v1.37.2"
    assert server_version(target(str(kubeconfig(tmp_path, apiserver)), "other")) == "v1.37.2"


def test_kubeconfig_env_is_honoured_with_several_files(
    tmp_path: Path, apiserver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kubeconfig(tmp_path, apiserver)
    second = kubeconfig(tmp_path, "http://127.0.0.1:9", "second")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    assert server_version(target(None)) == "v1.37.2"


def test_refusal_and_unreachable_are_one_line_without_the_token(tmp_path: Path) -> None:
    for answers in serve({"/version": (403, {"kind": "Status", "message": "forbidden"})}):
        with pytest.raises(ClusterError, match="HTTP 403") as refused:
            server_version(target(str(kubeconfig(tmp_path, answers))))
        assert TOKEN not in str(refused.value)
    unreachable = r"cannot reach the API server at http://127\.0\.0\.1:9"
    with pytest.raises(ClusterError, match=unreachable) as down:
        server_version(target(str(kubeconfig(tmp_path, "http://127.0.0.1:9"))))
    assert TOKEN not in str(down.value) and "\n" not in str(down.value)


def test_bad_kubeconfig_and_unknown_context(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text("clusters: [")
    with pytest.raises(InputError, match="is not valid YAML"):
        server_version(target(str(broken)))
    with pytest.raises(InputError, match="context 'missing-context' not found"):
        server_version(target(str(kubeconfig(tmp_path, "http://127.0.0.1:9")), "missing-context"))
