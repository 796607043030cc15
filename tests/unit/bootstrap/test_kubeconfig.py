"""The five kubeconfig files: identities, server, embedded CA, modes and reuse."""

from __future__ import annotations

import base64
import stat
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bootstrap.kubeadm import kubeconfig
from bootstrap.kubeadm.configtypes import APIEndpoint
from kubeadm_verify.access.kubeconfig import cluster_of
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.record import replace
from tests.unit.bootstrap.conftest import NODE_NAME, Built

IDENTITIES = {
    "admin.conf": ("kubernetes-admin", ("kubeadm:cluster-admins",)),
    "super-admin.conf": ("kubernetes-super-admin", ("system:masters",)),
    "kubelet.conf": (f"system:node:{NODE_NAME}", ("system:nodes",)),
    "controller-manager.conf": ("system:kube-controller-manager", ()),
    "scheduler.conf": ("system:kube-scheduler", ()),
}
FILES = pytest.mark.parametrize("name", IDENTITIES)


def read(built: Built, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((built.root / name).read_text())
    return loaded


def client_cert(config: dict[str, Any]) -> x509.Certificate:
    data = config["users"][0]["user"]["client-certificate-data"]
    return x509.load_pem_x509_certificate(base64.b64decode(data))


@FILES
def test_one_cluster_one_user_one_context_named_as_kubeadm_does(built: Built, name: str) -> None:
    config = read(built, name)
    user = IDENTITIES[name][0]
    assert (config["apiVersion"], config["kind"]) == ("v1", "Config")
    assert [c["name"] for c in config["clusters"]] == ["kubernetes"]
    assert config["clusters"][0]["cluster"]["server"] == "https://192.0.2.10:6443"
    assert config["contexts"] == [
        {"name": f"{user}@kubernetes", "context": {"cluster": "kubernetes", "user": user}}
    ]
    assert config["current-context"] == f"{user}@kubernetes"
    assert [u["name"] for u in config["users"]] == [user]
    assert stat.S_IMODE((built.root / name).stat().st_mode) == 0o600


@FILES
def test_the_embedded_ca_is_the_cluster_ca(built: Built, name: str) -> None:
    embedded = base64.b64decode(
        read(built, name)["clusters"][0]["cluster"]["certificate-authority-data"]
    )
    assert embedded == (built.pki / "ca.crt").read_bytes()


@FILES
def test_the_client_certificate_carries_the_identity_and_chains_to_the_ca(
    built: Built, name: str
) -> None:
    config = read(built, name)
    cert = client_cert(config)
    user, groups = IDENTITIES[name]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == user
    assert (
        tuple(a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
        == groups
    )
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    ca = x509.load_pem_x509_certificate((built.pki / "ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    key = serialization.load_pem_private_key(
        base64.b64decode(config["users"][0]["user"]["client-key-data"]), None
    )
    assert key.public_key() == cert.public_key()


def test_the_file_text_is_laid_out_like_clientcmd_write(built: Built) -> None:
    text = (built.root / "admin.conf").read_text()
    keys = [line.split(":")[0] for line in text.splitlines() if not line.startswith((" ", "-"))]
    assert keys == ["apiVersion", "clusters", "contexts", "current-context", "kind", "users"]
    assert "preferences" not in text  # client-go v0.37 writes it omitzero


def test_first_run_logs_and_second_run_reuses(built: Built, pki_copy: Built) -> None:
    assert [line for line in built.log if line.startswith("[kubeconfig]")] == [
        f'[kubeconfig] Using kubeconfig folder "{built.root}"',
        *(f'[kubeconfig] Writing "{name}" kubeconfig file' for name in IDENTITIES),
    ]
    before = {name: (pki_copy.root / name).read_bytes() for name in IDENTITIES}
    lines: list[str] = []
    kubeconfig.create_all(pki_copy.config, pki_copy.root, lines.append)
    assert {name: (pki_copy.root / name).read_bytes() for name in IDENTITIES} == before
    assert lines[1:] == [
        f'[kubeconfig] Using existing kubeconfig file: "{pki_copy.root / name}"'
        for name in IDENTITIES
    ]


def test_a_different_server_only_warns(pki_copy: Built) -> None:
    moved = replace(pki_copy.config, endpoint=APIEndpoint("192.0.2.10", 7443))
    lines: list[str] = []
    kubeconfig.KUBECONFIG_PHASES["scheduler"](moved, pki_copy.root, lines.append)
    assert (
        "unexpected API Server URL: expected: https://192.0.2.10:7443, got: "
        "https://192.0.2.10:6443" in lines[0]
    )
    assert lines[1].startswith("[kubeconfig] Using existing kubeconfig file")


def test_a_different_ca_is_refused(built: Built, pki_copy: Built) -> None:
    path = pki_copy.root / "admin.conf"
    config = yaml.safe_load(path.read_text())
    other_ca = (built.pki / "front-proxy-ca.crt").read_bytes()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        other_ca
    ).decode()
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(BootstrapError, match="has got the wrong CA cert"):
        kubeconfig.KUBECONFIG_PHASES["admin"](pki_copy.config, pki_copy.root, lambda _: None)


def test_an_unresolved_port_is_refused(pki_copy: Built) -> None:
    (pki_copy.root / "kubelet.conf").unlink()
    unresolved = replace(pki_copy.config, endpoint=APIEndpoint("192.0.2.10", 0))
    with pytest.raises(BootstrapError, match="port is still 0"):
        kubeconfig.KUBECONFIG_PHASES["kubelet"](unresolved, pki_copy.root, lambda _: None)


def test_a_token_kubeconfig_for_tls_bootstrap() -> None:
    config = kubeconfig.token_kubeconfig(
        "https://[2001:db8::1]:6443", "kubernetes", "tls-bootstrap-token-user", b"PEM", "abcdef.x"
    )
    assert config["users"] == [{"name": "tls-bootstrap-token-user", "user": {"token": "abcdef.x"}}]
    assert cluster_of(config, "token")["server"] == "https://[2001:db8::1]:6443"
    assert APIEndpoint("2001:db8::1", 6443).url == "https://[2001:db8::1]:6443"


def test_existing_files_are_reused_with_a_keyless_ca(pki_copy: Built) -> None:
    (pki_copy.pki / "ca.key").unlink()
    lines: list[str] = []
    kubeconfig.KUBECONFIG_PHASES["admin"](pki_copy.config, pki_copy.root, lines.append)
    assert lines == [f'[kubeconfig] Using existing kubeconfig file: "{pki_copy.root}/admin.conf"']
    (pki_copy.root / "scheduler.conf").unlink()
    with pytest.raises(BootstrapError, match="has no key"):
        kubeconfig.KUBECONFIG_PHASES["scheduler"](pki_copy.config, pki_copy.root, lines.append)
