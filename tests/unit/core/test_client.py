"""The light API client: made from a kubeconfig as the CLI resolves it, credentials kept in
memory, every exchange bounded by ``rawhttp`` (a real TLS server on loopback answers)."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from kubeadm_verify.access import client as access_client
from kubeadm_verify.access.client import ApiError, Client, collection_path
from kubeadm_verify.errors import InputError
from tests.unit.core.hostile_http import VERSION, hostile
from tests.unit.core.test_access import self_signed


def _server_tls(tmp_path: Path) -> tuple[ssl.SSLContext, bytes]:
    cert, key = self_signed("localhost")
    (tmp_path / "srv.crt").write_bytes(cert)
    (tmp_path / "srv.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "srv.crt", tmp_path / "srv.key")
    return context, cert


def _kubeconfig(
    tmp_path: Path, server: str, cluster: dict[str, object], user: dict[str, object]
) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "k", "cluster": {"server": server, **cluster}}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
            }
        ),
        encoding="utf-8",
    )
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_client_from_a_kubeconfig_reads_json_over_verified_tls(tmp_path: Path) -> None:
    server, ca = _server_tls(tmp_path)
    with hostile("plain", tls=server) as url:
        path = _kubeconfig(tmp_path, url, {"certificate-authority-data": _b64(ca)}, {"token": "t"})
        with Client.from_file(path) as api:
            assert api.get("/version") == json.loads(VERSION)


def test_a_server_the_ca_does_not_sign_is_no_answer(tmp_path: Path) -> None:
    server, _ = _server_tls(tmp_path)
    other, _ = self_signed("localhost")
    with hostile("plain", tls=server) as url:
        path = _kubeconfig(tmp_path, url, {"certificate-authority-data": _b64(other)}, {})
        with Client.from_file(path) as api, pytest.raises(ApiError) as caught:
            api.get("/version")
    assert caught.value.status == 0
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_insecure_skip_tls_verify_is_honoured(tmp_path: Path) -> None:
    server, _ = _server_tls(tmp_path)
    with hostile("plain", tls=server) as url:
        path = _kubeconfig(tmp_path, url, {"insecure-skip-tls-verify": True}, {})
        with Client.from_file(path) as api:
            assert api.get("/version")["gitVersion"] == "v1.37.2"


@pytest.mark.parametrize("mode", ["trickle-body", "endless"])
def test_every_exchange_is_bounded(tmp_path: Path, mode: str) -> None:
    """A trickle ends at the overall deadline, a body without end at the size cap."""
    path = _kubeconfig(tmp_path, "http://unused", {}, {})
    started = time.monotonic()
    with hostile(mode, gap_s=0.2) as url:
        api = Client.from_file(path)
        api.server = url
        with pytest.raises(ApiError) as caught:
            api.request("GET", "/version", timeout=2)
        api.close()
    assert caught.value.status == 0
    assert time.monotonic() - started < 6


def test_client_key_data_is_loaded_and_left_nowhere_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cert, key = self_signed("me")
    path = _kubeconfig(
        tmp_path,
        "https://127.0.0.1:1",
        {},
        {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)},
    )
    Client.from_file(path).close()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_client_key_that_is_not_the_certificates_is_an_input_error(tmp_path: Path) -> None:
    cert, _ = self_signed("me")
    _, other_key = self_signed("someone else")
    path = _kubeconfig(
        tmp_path,
        "https://127.0.0.1:1",
        {},
        {"client-certificate-data": _b64(cert), "client-key-data": _b64(other_key)},
    )
    with pytest.raises(InputError, match="does not match"):
        Client.from_file(path)


@pytest.mark.parametrize(
    "user", [{"username": "u", "password": "p"}, {"auth-provider": {"name": "gcp"}}]
)
def test_credentials_it_cannot_send_are_refused_not_dropped(
    tmp_path: Path, user: dict[str, object]
) -> None:
    path = _kubeconfig(tmp_path, "https://127.0.0.1:1", {}, user)
    with pytest.raises(InputError, match="not supported"):
        Client.from_file(path)


def test_nothing_answering_is_status_zero(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, "http://127.0.0.1:1", {}, {})
    with Client.from_file(path) as api, pytest.raises(ApiError) as caught:
        api.get_or_none("/api/v1/namespaces/x")
    assert caught.value.status == 0


def test_collection_paths() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b", "namespace": "ignored"},
    }
    assert collection_path(secret) == "/api/v1/namespaces/ns/secrets"
    assert collection_path(role) == "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
    assert access_client.REQUEST_DEADLINE_S > 0
