"""The TLS pair agnhost's ``porter`` serves with: ``localhost.crt`` and ``localhost.key`` in the
image's working directory, as upstream's agnhost image ships them (a self-signed certificate for
127.0.0.1 and ::1). The e2e proxy spec asks porter for HTTPS on 443; without the pair porter
cannot serve it. Made once, when the image archives are built; nothing verifies it but TLS."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bootstrap.upstream.images.archive import Entry

VALID_UNTIL = datetime(2084, 1, 29, tzinfo=UTC)
"""Upstream's pair expires in January 2084 too."""


def porter_tls_entries() -> list[Entry]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Co")])
    now = datetime.now(UTC) - timedelta(minutes=5)
    sans = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.DNSName("localhost"),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return [
        Entry("/localhost.crt", data=cert.public_bytes(serialization.Encoding.PEM), mode=0o644),
        Entry("/localhost.key", data=key_pem, mode=0o644),
    ]
