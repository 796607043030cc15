"""The server's version over a real HTTP server, and which kubeconfig e2e.test is given."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from conformance.e2e.cluster import kubeconfig_file, server_version
from kubeadm_verify.errors import ClusterError, InputError, UsageError

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
    yield from serve({"/version": (200, {"gitVersion": "v1.37.2+vendor.1", "major": "1",
                                         "minor": "37"})})


def test_version_from_the_server(tmp_path: Path, apiserver: str) -> None:
    assert server_version(str(kubeconfig(tmp_path, apiserver)), None) == "v1.37.2"
    assert server_version(str(kubeconfig(tmp_path, apiserver)), "other") == "v1.37.2"


def test_kubeconfig_env_is_honoured(tmp_path: Path, apiserver: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path, apiserver)))
    assert server_version(None, None) == "v1.37.2"


def test_refusal_and_unreachable_are_one_line_without_the_token(tmp_path: Path) -> None:
    for answers in serve({"/version": (403, {"kind": "Status", "message": "forbidden"})}):
        with pytest.raises(ClusterError, match="HTTP 403") as refused:
            server_version(str(kubeconfig(tmp_path, answers)), None)
        assert TOKEN not in str(refused.value)
    unreachable = r"cannot reach the cluster at http://127\.0\.0\.1:9"
    with pytest.raises(ClusterError, match=unreachable) as down:
        server_version(str(kubeconfig(tmp_path, "http://127.0.0.1:9")), None)
    assert TOKEN not in str(down.value) and "\n" not in str(down.value)


def test_bad_kubeconfig_and_unknown_context(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text("clusters: [")
    with pytest.raises(InputError, match="cannot use kubeconfig"):
        server_version(str(broken), None)
    with pytest.raises(InputError, match="cannot use kubeconfig"):
        server_version(str(kubeconfig(tmp_path, "http://127.0.0.1:9")), "missing-context")


def test_kubeconfig_file_for_e2e_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = kubeconfig(tmp_path, "https://x", "one")
    two = kubeconfig(tmp_path, "https://x", "two")
    assert kubeconfig_file(str(one)) == one
    monkeypatch.setenv("KUBECONFIG", f"{one}:{two}")
    with pytest.raises(UsageError, match="several files"):
        kubeconfig_file(None)
    monkeypatch.setenv("KUBECONFIG", str(two))
    assert kubeconfig_file(None) == two
    with pytest.raises(InputError, match="no such file"):
        kubeconfig_file(str(tmp_path / "absent"))
