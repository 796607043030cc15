"""Finding a cluster's control plane in the host's socket table, and probing its ports: against
real local TLS and HTTP servers, and recorded socket tables."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import psutil
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from conformance.standard_base import localplane, portprobe, satoken
from conformance.standard_base.localplane import Component, Listener

ANY = "0.0.0.0"  # noqa: S104 (a recorded socket table: nothing binds here)


class Addr(NamedTuple):
    ip: str
    port: int


class Conn(NamedTuple):
    """The fields of ``psutil.net_connections()`` that are read."""

    laddr: Addr
    raddr: Addr | tuple[()]
    status: str
    pid: int


def _conn(
    local: tuple[str, int],
    remote: tuple[str, int] | None,
    pid: int,
    status: str = psutil.CONN_ESTABLISHED,
) -> Conn:
    return Conn(Addr(*local), Addr(*remote) if remote else (), status, pid)


def test_clients_and_etcd_are_found_by_their_connections_to_this_api_server() -> None:
    listen = psutil.CONN_LISTEN
    listening = [
        _conn((ANY, 6443), None, 10, listen),  # ours
        _conn((ANY, 7443), None, 20, listen),  # another cluster's
        _conn(("127.0.0.1", 2379), None, 11, listen),
        _conn(("10.0.0.5", 2380), None, 11, listen),
        _conn(("127.0.0.1", 3379), None, 21, listen),
        _conn(("127.0.0.1", 10257), None, 12, listen),
        _conn(("127.0.0.1", 11257), None, 22, listen),
    ]
    connections = [
        *listening,
        _conn(("127.0.0.1", 50000), ("127.0.0.1", 2379), 10),  # ours → its etcd
        _conn(("127.0.0.1", 50001), ("127.0.0.1", 3379), 20),
        _conn(("10.0.0.5", 50002), ("10.0.0.5", 6443), 12),  # our kcm → ours
        _conn(("10.0.0.5", 50003), ("10.0.0.5", 7443), 22),
    ]
    names = {
        10: "kube-apiserver",
        20: "kube-apiserver",
        11: "etcd",
        21: "etcd",
        12: "kube-controller-manager",
        22: "kube-controller-manager",
    }
    apiserver = Component("kube-apiserver", 10, [Listener(ANY, 6443)])
    found = localplane.attribute(apiserver, connections, listening, names)
    assert [c.pid for c in found[localplane.ETCD]] == [11]
    assert [str(x) for x in found[localplane.ETCD][0].listeners] == [
        "10.0.0.5:2380",
        "127.0.0.1:2379",
    ]
    assert [c.pid for c in found[localplane.CONTROLLER_MANAGER]] == [12]
    assert found[localplane.SCHEDULER] == []
    plane = localplane.Plane(apiserver, found)
    with pytest.raises(AssertionError, match="no kube-scheduler process"):
        plane.component(localplane.SCHEDULER)


def test_a_remote_api_server_is_another_kind_of_cluster() -> None:
    with pytest.raises(localplane.ElsewhereError):
        localplane.find("https://192.0.2.1:6443")  # TEST-NET-1: never an address of this host


def test_listeners_know_the_loopback() -> None:
    assert Listener("127.0.0.1", 1).loopback and Listener("::1", 1).loopback
    assert not Listener(ANY, 1).loopback and not Listener("::", 1).loopback
    assert portprobe.reachable(Listener("::", 5)) == ("::1", 5)


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextlib.contextmanager
def _server(context: ssl.SSLContext | None) -> Iterator[Listener]:
    """One connection served: an HTTP answer, over TLS when ``context`` is given."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                stream: Any = context.wrap_socket(conn, server_side=True) if context else conn
                stream.recv(1024)
                stream.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Listener("127.0.0.1", port)
    finally:
        listener.close()
        thread.join(5)


def _tls(tmp_path: Path, require_client: bool) -> ssl.SSLContext:
    cert, key = _self_signed(tmp_path, "server")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if require_client:
        client_ca, _ = _self_signed(tmp_path, "client-ca")
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def test_a_tls_port_that_wants_a_client_certificate_refuses(tmp_path: Path) -> None:
    with _server(_tls(tmp_path, require_client=True)) as listener:
        assert portprobe.without_client_certificate(listener) == portprobe.REFUSED


def test_a_tls_port_that_wants_none_answers(tmp_path: Path) -> None:
    with _server(_tls(tmp_path, require_client=False)) as listener:
        assert portprobe.without_client_certificate(listener) == portprobe.ANSWERED


def test_plain_http_is_told_apart() -> None:
    with _server(None) as listener:
        assert portprobe.without_client_certificate(listener) == portprobe.PLAIN


def test_a_closed_port_lets_nobody_in() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    assert portprobe.without_client_certificate(Listener("127.0.0.1", port)) == portprobe.REFUSED


def test_https_status_over_a_self_signed_certificate(tmp_path: Path) -> None:
    with _server(_tls(tmp_path, require_client=False)) as listener:
        assert portprobe.https_status(listener, "/healthz") == 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(sign: Any, alg: str) -> str:
    head = _b64(json.dumps({"alg": alg, "kid": "k"}).encode())
    body = _b64(json.dumps({"iss": "https://kubernetes.default.svc.cluster.local"}).encode())
    return f"{head}.{body}.{_b64(sign(f'{head}.{body}'.encode()))}"


def _n(value: int, size: int) -> str:
    return _b64(value.to_bytes(size, "big"))


def test_rs256_and_es256_tokens_verify_against_their_jwk_only() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _jwt(lambda data: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "RS256")
    numbers = rsa_key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k", "n": _n(numbers.n, 256), "e": _n(numbers.e, 3)}
    assert satoken.verifies(token, jwk)
    assert satoken.parts(token)[1]["iss"].startswith("https://kubernetes.default.svc")
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert not satoken.verifies(forged, jwk)

    ec_key = ec.generate_private_key(ec.SECP256R1())

    def es256(data: bytes) -> bytes:
        r, s = decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    point = ec_key.public_key().public_numbers()
    ec_jwk = {"kty": "EC", "crv": "P-256", "x": _n(point.x, 32), "y": _n(point.y, 32)}
    ec_token = _jwt(es256, "ES256")
    assert satoken.verifies(ec_token, ec_jwk)
    assert not satoken.verifies(ec_token, jwk) and not satoken.verifies(token, ec_jwk)
