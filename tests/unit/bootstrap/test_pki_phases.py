"""The ``certs`` sub-phases: chains, kubeadm's log lines, idempotency and refusing stale files."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from bootstrap.kubeadm import pki
from bootstrap.kubeadm.configtypes import APIEndpoint
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.record import replace
from tests.unit.bootstrap.conftest import NODE_NAME, Built, openssl

CHAINS = {
    "apiserver": "ca",
    "apiserver-kubelet-client": "ca",
    "front-proxy-client": "front-proxy-ca",
    "etcd/server": "etcd/ca",
    "etcd/peer": "etcd/ca",
    "etcd/healthcheck-client": "etcd/ca",
    "apiserver-etcd-client": "etcd/ca",
}
CAS = ("ca", "front-proxy-ca", "etcd/ca")


def cert(pki_dir: Path, base: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((pki_dir / f"{base}.crt").read_bytes())


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("leaf", "ca"), CHAINS.items())
def test_each_certificate_verifies_against_its_ca_and_no_other(
    built: Built, leaf: str, ca: str
) -> None:
    leaf_path = str(built.pki / f"{leaf}.crt")
    assert (
        openssl("verify", "-CAfile", str(built.pki / f"{ca}.crt"), leaf_path).strip().endswith("OK")
    )
    for other in (c for c in CAS if c != ca):
        with pytest.raises(ValueError):
            cert(built.pki, leaf).verify_directly_issued_by(cert(built.pki, other))


def test_the_apiserver_certificate_passes_server_path_validation(built: Built) -> None:
    store = Store([cert(built.pki, "ca")])
    verifier = (
        PolicyBuilder().store(store).build_server_verifier(x509.DNSName("kubernetes.default.svc"))
    )
    chain = verifier.verify(cert(built.pki, "apiserver"), [])
    assert chain[-1] == cert(built.pki, "ca")
    by_ip = (
        PolicyBuilder()
        .store(store)
        .build_server_verifier(x509.IPAddress(ipaddress.ip_address("10.96.0.1")))
    )
    assert by_ip.verify(cert(built.pki, "apiserver"), [])
    wrong = (
        PolicyBuilder()
        .store(Store([cert(built.pki, "etcd/ca")]))
        .build_server_verifier(x509.DNSName("kubernetes"))
    )
    with pytest.raises(VerificationError):
        wrong.verify(cert(built.pki, "apiserver"), [])


def test_keys_match_their_certificates_and_the_sa_pair_matches(built: Built) -> None:
    for base in (*CHAINS, *CAS):
        key = serialization.load_pem_private_key((built.pki / f"{base}.key").read_bytes(), None)
        assert key.public_key() == cert(built.pki, base).public_key()
    sa_key = serialization.load_pem_private_key((built.pki / "sa.key").read_bytes(), None)
    sa_pub = serialization.load_pem_public_key((built.pki / "sa.pub").read_bytes())
    assert sa_key.public_key() == sa_pub
    assert (built.pki / "sa.key").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert (built.pki / "sa.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_first_run_logs_as_kubeadm_does(built: Built) -> None:
    certs = [line for line in built.log if line.startswith("[certs]")]
    assert certs[0] == f'[certs] Using certificateDir folder "{built.pki}"'
    assert certs[1:4] == [
        '[certs] Generating "ca" certificate and key',
        '[certs] Generating "apiserver" certificate and key',
        "[certs] apiserver serving cert is signed for DNS names [api.example.test"
        f" kubernetes kubernetes.default kubernetes.default.svc "
        f"kubernetes.default.svc.cluster.local {NODE_NAME}] and IPs "
        "[10.96.0.1 192.0.2.10 203.0.113.7]",
    ]
    assert '[certs] Generating "etcd/healthcheck-client" certificate and key' in certs
    assert certs[-1] == '[certs] Generating "sa" key and public key'


def test_second_run_reuses_every_file(pki_copy: Built) -> None:
    before = snapshot(pki_copy.root)
    lines: list[str] = []
    pki.create_all(pki_copy.config, pki_copy.pki, lines.append)
    assert snapshot(pki_copy.root) == before
    assert "[certs] Using existing ca certificate authority" in lines
    assert "[certs] Using existing etcd/server certificate and key on disk" in lines
    assert lines[-1] == '[certs] Using the existing "sa" key'
    assert not any("Generating" in line for line in lines)


def test_a_missing_leaf_is_signed_again_by_the_same_ca_and_nothing_else_changes(
    pki_copy: Built,
) -> None:
    old_serial = cert(pki_copy.pki, "apiserver").serial_number
    (pki_copy.pki / "apiserver.crt").unlink()
    (pki_copy.pki / "apiserver.key").unlink()
    before = snapshot(pki_copy.root)
    lines: list[str] = []
    pki.CERT_PHASES["apiserver"](pki_copy.config, pki_copy.pki, lines.append)
    new = cert(pki_copy.pki, "apiserver")
    new.verify_directly_issued_by(cert(pki_copy.pki, "ca"))
    assert new.serial_number != old_serial
    assert {k: v for k, v in snapshot(pki_copy.root).items() if k in before} == before
    assert lines[0] == '[certs] Generating "apiserver" certificate and key'


def test_a_certificate_from_another_ca_is_refused(pki_copy: Built) -> None:
    for suffix in (".crt", ".key"):
        shutil.copy(pki_copy.pki / f"etcd/server{suffix}", pki_copy.pki / f"apiserver{suffix}")
    with pytest.raises(BootstrapError, match="apiserver not signed by CA certificate ca"):
        pki.CERT_PHASES["apiserver"](pki_copy.config, pki_copy.pki, lambda _: None)


def test_a_certificate_missing_sans_the_config_now_needs_is_refused(pki_copy: Built) -> None:
    moved = replace(pki_copy.config, endpoint=APIEndpoint("198.51.100.1", 6443))
    with pytest.raises(BootstrapError, match=r"does not cover 198\.51\.100\.1"):
        pki.CERT_PHASES["apiserver"](moved, pki_copy.pki, lambda _: None)


def test_a_key_that_does_not_match_is_refused(pki_copy: Built) -> None:
    shutil.copy(pki_copy.pki / "front-proxy-ca.key", pki_copy.pki / "front-proxy-client.key")
    with pytest.raises(BootstrapError, match="no matching key"):
        pki.CERT_PHASES["front-proxy-client"](pki_copy.config, pki_copy.pki, lambda _: None)


def test_a_keyless_ca_is_used_but_cannot_sign(pki_copy: Built) -> None:
    (pki_copy.pki / "etcd/ca.key").unlink()
    (pki_copy.pki / "etcd/peer.crt").unlink()
    (pki_copy.pki / "etcd/peer.key").unlink()
    lines: list[str] = []
    pki.CERT_PHASES["etcd-ca"](pki_copy.config, pki_copy.pki, lines.append)
    assert lines == ["[certs] Using existing etcd/ca keyless certificate authority"]
    with pytest.raises(BootstrapError, match="etcd/ca certificate authority has no key"):
        pki.CERT_PHASES["etcd-peer"](pki_copy.config, pki_copy.pki, lines.append)


def test_a_key_left_without_its_certificate_by_a_killed_run_is_replaced(pki_copy: Built) -> None:
    (pki_copy.pki / "front-proxy-client.crt").unlink()
    lines: list[str] = []
    pki.CERT_PHASES["front-proxy-client"](pki_copy.config, pki_copy.pki, lines.append)
    assert "has no certificate, replacing it" in lines[0]
    new = cert(pki_copy.pki, "front-proxy-client")
    key = serialization.load_pem_private_key(
        (pki_copy.pki / "front-proxy-client.key").read_bytes(), None
    )
    assert key.public_key() == new.public_key()


def test_a_ca_that_is_not_a_ca_is_refused(pki_copy: Built) -> None:
    shutil.copy(pki_copy.pki / "apiserver.crt", pki_copy.pki / "ca.crt")
    with pytest.raises(BootstrapError, match="not a CA"):
        pki.CERT_PHASES["ca"](pki_copy.config, pki_copy.pki, lambda _: None)


def test_an_unreadable_certificate_is_a_bootstrap_error(pki_copy: Built) -> None:
    (pki_copy.pki / "apiserver.crt").write_text("not a certificate")
    with pytest.raises(BootstrapError, match="couldn't load the certificate file"):
        pki.CERT_PHASES["apiserver"](pki_copy.config, pki_copy.pki, lambda _: None)


def test_sub_phases_are_kubeadms_in_kubeadms_order() -> None:
    assert list(pki.CERT_PHASES) == [
        "ca",
        "apiserver",
        "apiserver-kubelet-client",
        "front-proxy-ca",
        "front-proxy-client",
        "etcd-ca",
        "etcd-server",
        "etcd-peer",
        "etcd-healthcheck-client",
        "apiserver-etcd-client",
        "sa",
    ]
