"""The little PKI the auth and kubeadm tests need: a key, a CSR, a throwaway self-signed cert,
and reading the certificates a cluster presents."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str, organisation: str | None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def csr_pem(
    key: ec.EllipticCurvePrivateKey,
    common_name: str,
    organisation: str | None = None,
    dns_names: tuple[str, ...] = (),
) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(common_name, organisation))
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def self_signed_pem(common_name: str, ca: bool = False) -> bytes:
    """A self-signed certificate, a CA's (trust bundles accept only those) when ``ca``."""
    key = new_key()
    now = datetime.now(UTC)
    subject = _name(common_name, None)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def load_pem_certs(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


def server_certificate(host_url: str, ca_pem: bytes, timeout: float = 5.0) -> x509.Certificate:
    """The serving certificate of ``host_url``, fetched over TLS verified against ``ca_pem``.

    The handshake itself is the check that the CA pins the server: it fails unless the server's
    chain ends at this CA and the name matches.
    """
    parts = urlsplit(host_url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None, f"{host_url} presented no certificate"
    return x509.load_der_x509_certificate(der)
