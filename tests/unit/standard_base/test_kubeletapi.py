"""Talking to a kubelet's own API: against a real local HTTPS server that serves as the kubelet
does by default (a leaf for its hostname, signed by its own CA, both in one file), a request goes
through only when the anchor and hostname verify, and a token never reaches a peer that did not."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.standard_base.kubeletapi import (
    Anchor,
    Endpoint,
    Unverifiable,
    Verdict,
    cluster_ca,
    endpoint_of,
    get,
    judge,
    report,
    verifies,
)
from kubeadm_verify.runner import WARNING_PROPERTY

HOSTNAME = "kva-node-1"


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = (
            builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(HOSTNAME)]), critical=False
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        )
    return builder.sign(signer, hashes.SHA256())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class _Kubelet(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str | None]] = []  # the Authorization header of each request

    def do_GET(self) -> None:
        _Kubelet.seen.append(self.headers.get("Authorization"))
        self.send_response(200 if self.headers.get("Authorization") else 401)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def kubelet(tmp_path: Path) -> Iterator[tuple[Endpoint, Anchor]]:
    """A kubelet-like HTTPS server on 127.0.0.1, and the anchor its own cert file gives."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert(f"{HOSTNAME}-ca@1", ca_key, f"{HOSTNAME}-ca@1", ca_key, ca=True)
    leaf = _cert(f"{HOSTNAME}@1", key, f"{HOSTNAME}-ca@1", ca_key, ca=False)
    crt, keyfile = tmp_path / "kubelet.crt", tmp_path / "kubelet.key"
    crt.write_text(_pem(leaf) + _pem(ca))  # as the kubelet writes it: the leaf, then its CA
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Kubelet)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(crt, keyfile)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Kubelet.seen = []
    try:
        yield (
            Endpoint(HOSTNAME, HOSTNAME, "127.0.0.1", server.server_address[1]),
            Anchor(crt.read_text(), "kubelet.crt"),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_verified_requests_get_the_kubelets_answer(kubelet: tuple[Endpoint, Anchor]) -> None:
    endpoint, anchor = kubelet
    assert verifies(endpoint, anchor) is None
    assert get(endpoint, anchor, "/pods") == 401
    assert get(endpoint, anchor, "/pods", bearer="t0ken") == 200
    assert _Kubelet.seen[-1] == "Bearer t0ken"


def test_a_wrong_hostname_or_anchor_sends_nothing(
    kubelet: tuple[Endpoint, Anchor], tmp_path: Path
) -> None:
    endpoint, anchor = kubelet
    other = Endpoint(endpoint.node, "kva-node-2", endpoint.address, endpoint.port)
    why = verifies(other, anchor)
    assert why is not None and "kva-node-2" in why
    key = ec.generate_private_key(ec.SECP256R1())
    stranger = Anchor(_pem(_cert("other-ca", key, "other-ca", key, ca=True)), "another CA")
    why = verifies(endpoint, stranger)
    assert why is not None and "another CA" in why
    with pytest.raises(Unverifiable):
        get(endpoint, stranger, "/pods", bearer="t0ken")
    assert "Bearer t0ken" not in _Kubelet.seen


def test_an_unreachable_kubelet_is_unverifiable(kubelet: tuple[Endpoint, Anchor]) -> None:
    endpoint, anchor = kubelet
    closed = Endpoint(endpoint.node, endpoint.hostname, "127.0.0.1", 1)
    with pytest.raises(Unverifiable, match="cannot be reached"):
        verifies(closed, anchor)


def test_cluster_ca_and_a_file_that_holds_no_certificate(
    tmp_path: Path, kubelet: tuple[Endpoint, Anchor]
) -> None:
    assert cluster_ca(None) is None
    assert cluster_ca(str(tmp_path / "missing")) is None
    endpoint, _ = kubelet
    with pytest.raises(Unverifiable, match="no usable certificate"):
        get(endpoint, Anchor("not a certificate", "junk"), "/pods")


def _node(addresses: list[tuple[str, str]], port: int | None) -> SimpleNamespace:
    endpoint = SimpleNamespace(port=port) if port is not None else None
    return SimpleNamespace(
        metadata=SimpleNamespace(name="Node-A"),
        status=SimpleNamespace(
            addresses=[SimpleNamespace(type=t, address=a) for t, a in addresses],
            daemon_endpoints=SimpleNamespace(kubelet_endpoint=endpoint),
        ),
    )


def test_endpoint_of_a_node() -> None:
    found = endpoint_of(_node([("InternalIP", "10.0.0.5"), ("Hostname", "Node-A")], 10250))
    assert found == Endpoint("Node-A", "node-a", "10.0.0.5", 10250)
    assert endpoint_of(_node([("InternalIP", "10.0.0.5")], 10250)) == Endpoint(
        "Node-A", "node-a", "10.0.0.5", 10250
    )
    assert "no InternalIP" in str(endpoint_of(_node([("Hostname", "a")], 10250)))
    assert "kubeletEndpoint" in str(endpoint_of(_node([("InternalIP", "10.0.0.5")], None)))


def test_judge_sorts_refused_accepted_and_unchecked() -> None:
    a, b, c = (Endpoint(n, n, "10.0.0.1", 10250) for n in ("a", "b", "c"))
    verdict = judge([(a, 401), (b, 200), (c, "c: cannot be reached")], frozenset({401, 403}))
    assert verdict.refused == ["a (10.0.0.1:10250) 401"]
    assert verdict.accepted == ["b (10.0.0.1:10250) answered 200"]
    assert verdict.unchecked == ["c: cannot be reached"]
    explained = judge([(a, 401)], frozenset({403}), {401: "no token review"})
    assert explained.accepted == ["a (10.0.0.1:10250) answered 401: no token review"]


def test_unverifiable_kubelets_warn_and_never_pass_silently() -> None:
    recorded: list[tuple[str, object]] = []
    report(
        Verdict([], ["b: cannot be reached"], ["a 401"]),
        "anyone",
        lambda key, value: recorded.append((key, value)),
    )
    assert recorded == [
        (
            WARNING_PROPERTY,
            "cannot determine for every kubelet (refused by a 401): b: cannot be reached",
        )
    ]
    with pytest.raises(AssertionError, match="let anyone through: c answered 200"):
        report(Verdict(["c answered 200"], ["b: cannot"], []), "anyone", lambda key, value: None)
