"""External etcd: the version endpoint of a real (local, plain HTTP) server, and the cert files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kubeadm_verify.checks import execute
from kubeadm_verify.results import CheckResult, Status
from nodechecks.checks import REGISTRY, etcd
from nodechecks.context import NodeContext
from nodechecks.host import Host


class Versions(BaseHTTPRequestHandler):
    reply: ClassVar[dict[str, str]] = {"etcdserver": "3.6.6", "etcdcluster": "3.6.0"}
    status: ClassVar[int] = 200

    def do_GET(self) -> None:
        body = json.dumps(self.reply).encode()
        self.send_response(self.status if self.path == "/version" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def etcd_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(etcd, "ETCD_RETRY_INTERVAL_S", 0.01)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Versions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        Versions.reply, Versions.status = {"etcdserver": "3.6.6"}, 200


def live(check_id: str, **context: object) -> CheckResult:
    ctx = NodeContext(host=Host("/"), **context)  # type: ignore[arg-type]
    return execute(REGISTRY.get(check_id), ctx, role=ctx.role)


def test_external_etcd_version(etcd_server: str) -> None:
    assert live("ExternalEtcdVersion").status is Status.SKIP
    ok = live("ExternalEtcdVersion", external_etcd_endpoints=(etcd_server,))
    assert ok.status is Status.PASS and ok.details["versions"] == {etcd_server: "3.6.6"}
    Versions.reply = {"etcdserver": "3.5.9"}
    old = live("ExternalEtcdVersion", external_etcd_endpoints=(etcd_server,))
    assert old.message == (
        "this version of kubeadm only supports external etcd version >= "
        "3.5.24-0. Current version: 3.5.9"
    )
    Versions.status = 503
    down = live("ExternalEtcdVersion", external_etcd_endpoints=(etcd_server,))
    assert down.status is Status.FAIL and "503" in down.message


def test_local_etcd_checks_skip_with_external_etcd(etcd_server: str) -> None:
    for check_id in ("Port-2379", "Port-2380", "DirAvailable--var-lib-etcd"):
        assert live(check_id, external_etcd_endpoints=(etcd_server,)).status is Status.SKIP


def test_external_etcd_client_certificates(root: Path, run: Callable[..., CheckResult]) -> None:
    paths = {
        "external_etcd_ca": "/etc/etcd/ca.crt",
        "external_etcd_cert": "/etc/etcd/client.crt",
        "external_etcd_key": "/etc/etcd/client.key",
    }
    endpoints = ("https://10.0.0.5:2379",)
    assert run("ExternalEtcdClientCertificates", root).status is Status.SKIP
    missing = run(
        "ExternalEtcdClientCertificates", root, external_etcd_endpoints=endpoints, **paths
    )
    assert missing.message.splitlines()[0] == "/etc/etcd/ca.crt doesn't exist"
    for path in paths.values():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text("pem\n")
    assert (
        run(
            "ExternalEtcdClientCertificates", root, external_etcd_endpoints=endpoints, **paths
        ).status
        is Status.PASS
    )


def test_image_pull_is_opt_in(root: Path, run: Callable[..., CheckResult]) -> None:
    assert "--pull-images" in live("ImagePull").message
    assert run("ImagePull", root, pull_images=True).status is Status.SKIP  # never under --root
    assert live("ImagePull", pull_images=True, cri_socket="/nonexistent/cri.sock").status is (
        Status.FAIL
    )
    assert etcd.control_plane_images("v1.37.2")[0] == "registry.k8s.io/kube-apiserver:v1.37.2"
