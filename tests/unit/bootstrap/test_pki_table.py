"""Every certificate against kubeadm v1.37's table, read back with ``cryptography`` and openssl.

The expected rows are written out here, independently of ``bootstrap.kubeadm.certspec``, so a wrong
entry in the table fails a test instead of being checked against itself.
"""

from __future__ import annotations

import ipaddress
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.unit.bootstrap.conftest import ADVERTISE, NODE_NAME, Built, openssl

SERVER = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH
ETCD_DNS = {NODE_NAME, "localhost"}
ETCD_IPS = {ADVERTISE, "127.0.0.1", "::1"}
API_DNS = {
    NODE_NAME,
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "api.example.test",
}
API_IPS = {"10.96.0.1", ADVERTISE, "203.0.113.7"}


@dataclass(frozen=True)
class Row:
    base: str
    issuer: str | None
    cn: str
    orgs: tuple[str, ...] = ()
    eku: frozenset[x509.ObjectIdentifier] = frozenset()
    dns: frozenset[str] = frozenset()
    ips: frozenset[str] = frozenset()

    @property
    def is_ca(self) -> bool:
        return self.issuer is None


TABLE = (
    Row("ca", None, "kubernetes", dns=frozenset({"kubernetes"})),
    Row(
        "apiserver",
        "ca",
        "kube-apiserver",
        eku=frozenset({SERVER}),
        dns=frozenset(API_DNS),
        ips=frozenset(API_IPS),
    ),
    Row("apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client", eku=frozenset({CLIENT})),
    Row("front-proxy-ca", None, "front-proxy-ca", dns=frozenset({"front-proxy-ca"})),
    Row("front-proxy-client", "front-proxy-ca", "front-proxy-client", eku=frozenset({CLIENT})),
    Row("etcd/ca", None, "etcd-ca", dns=frozenset({"etcd-ca"})),
    Row(
        "etcd/server",
        "etcd/ca",
        NODE_NAME,
        eku=frozenset({SERVER, CLIENT}),
        dns=frozenset(ETCD_DNS),
        ips=frozenset(ETCD_IPS),
    ),
    Row(
        "etcd/peer",
        "etcd/ca",
        NODE_NAME,
        eku=frozenset({SERVER, CLIENT}),
        dns=frozenset(ETCD_DNS),
        ips=frozenset(ETCD_IPS),
    ),
    Row(
        "etcd/healthcheck-client",
        "etcd/ca",
        "kube-etcd-healthcheck-client",
        eku=frozenset({CLIENT}),
    ),
    Row("apiserver-etcd-client", "etcd/ca", "kube-apiserver-etcd-client", eku=frozenset({CLIENT})),
)
ROWS = pytest.mark.parametrize("row", TABLE, ids=[row.base for row in TABLE])
EKU_NAMES = {SERVER: "TLS Web Server Authentication", CLIENT: "TLS Web Client Authentication"}


def load(built: Built, base: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((built.pki / f"{base}.crt").read_bytes())


def sans(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return set(ext.get_values_for_type(x509.DNSName)), {
        str(ip) for ip in ext.get_values_for_type(x509.IPAddress)
    }


def test_the_pki_dir_holds_exactly_kubeadms_files_with_kubeadms_modes(built: Built) -> None:
    files = {
        str(p.relative_to(built.pki)): stat.S_IMODE(p.stat().st_mode)
        for p in built.pki.rglob("*")
        if p.is_file()
    }
    expected = {f"{row.base}.crt": 0o644 for row in TABLE}
    expected |= {f"{row.base}.key": 0o600 for row in TABLE}
    expected |= {"sa.key": 0o600, "sa.pub": 0o600}
    assert files == expected


@ROWS
def test_subject_and_issuer(built: Built, row: Row) -> None:
    cert = load(built, row.base)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == row.cn
    orgs = tuple(a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    assert orgs == row.orgs
    issuer = load(built, row.issuer or row.base)
    assert cert.issuer == issuer.subject


@ROWS
def test_key_usages_and_basic_constraints(built: Built, row: Row) -> None:
    cert = load(built, row.base)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.key_encipherment
    assert usage.value.key_cert_sign is row.is_ca
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is row.is_ca
    assert constraints.value.path_length is None


@ROWS
def test_extended_key_usages(built: Built, row: Row) -> None:
    cert = load(built, row.base)
    if row.is_ca:
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        return
    assert set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == row.eku


@ROWS
def test_subject_alternative_names(built: Built, row: Row) -> None:
    assert sans(load(built, row.base)) == (set(row.dns), set(row.ips))


def test_dns_sans_are_sorted_like_kubeadms_and_invalid_extra_sans_are_dropped(built: Built) -> None:
    ext = load(built, "apiserver").extensions.get_extension_for_class(x509.SubjectAlternativeName)
    dns = ext.value.get_values_for_type(x509.DNSName)
    assert dns == sorted(dns)
    assert "not valid!" not in dns
    assert [str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)][:2] == [
        "10.96.0.1",
        ADVERTISE,
    ]


@ROWS
def test_validity_is_backdated_five_minutes_and_lasts_the_configured_period(
    built: Built, row: Row
) -> None:
    cert = load(built, row.base)
    period = timedelta(hours=87600 if row.is_ca else 8760)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == period + timedelta(minutes=5)
    now = datetime.now(UTC)
    assert now - timedelta(minutes=30) < cert.not_valid_before_utc < now


@ROWS
def test_rsa_2048_by_default_signed_with_sha256(built: Built, row: Row) -> None:
    cert = load(built, row.base)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)


@ROWS
def test_ecdsa_p384_keys_are_signed_with_sha384(built_p384: Built, row: Row) -> None:
    cert = load(built_p384, row.base)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
    assert (
        (built_p384.pki / f"{row.base}.key")
        .read_text()
        .startswith("-----BEGIN EC PRIVATE KEY-----")
    )


def test_serials_are_random_positive_63_bit_and_distinct(built: Built) -> None:
    serials = [load(built, row.base).serial_number for row in TABLE]
    assert all(1 <= serial < 2**63 - 1 for serial in serials)
    assert len(set(serials)) == len(serials)


@ROWS
def test_openssl_reads_the_same_certificate(built: Built, row: Row) -> None:
    text = openssl("x509", "-noout", "-text", "-in", str(built.pki / f"{row.base}.crt"))
    subject = ", ".join([*(f"O = {org}" for org in row.orgs), f"CN = {row.cn}"])
    assert re.search(rf"^\s*Subject: {re.escape(subject)}$", text, re.M)
    assert "Public-Key: (2048 bit)" in text
    usages = "Digital Signature, Key Encipherment" + (", Certificate Sign" if row.is_ca else "")
    assert re.search(rf"Key Usage: critical\n\s*{usages}\n", text)
    assert ("CA:TRUE" if row.is_ca else "CA:FALSE") in text
    if row.eku:
        line = re.search(r"Extended Key Usage: *\n\s*(.+)\n", text)
        assert line and set(line.group(1).split(", ")) == {EKU_NAMES[u] for u in row.eku}
    assert openssl_sans(text) == (set(row.dns), set(row.ips))


def openssl_sans(text: str) -> tuple[set[str], set[str]]:
    line = re.search(r"Subject Alternative Name: *\n\s*(.+)\n", text)
    entries = line.group(1).split(", ") if line else []
    dns = {entry.removeprefix("DNS:") for entry in entries if entry.startswith("DNS:")}
    ips = {
        str(ipaddress.ip_address(entry.removeprefix("IP Address:")))
        for entry in entries
        if entry.startswith("IP Address:")
    }
    return dns, ips
