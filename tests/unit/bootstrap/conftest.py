"""Shared, expensive-once material for the offline bootstrap tests.

RSA-2048 keys take a while to generate, so one default PKI (and its kubeconfigs) is made per
session and only ever read; a test that changes files works on a copy (``pki_copy``). Tests that
only need *some* key use ECDSA, which is nearly free.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.kubeadm import kubeconfig, pki
from bootstrap.kubeadm.config import default_config
from bootstrap.kubeadm.configtypes import APIEndpoint, BootstrapConfig, EncryptionAlgorithm
from kubeadm_verify.record import replace

NODE_NAME = "node-a"
ADVERTISE = "192.0.2.10"


@dataclass(frozen=True)
class Built:
    """A bootstrap state dir: ``root`` holds the kubeconfigs, ``root/pki`` the PKI."""

    config: BootstrapConfig
    root: Path
    log: tuple[str, ...]

    @property
    def pki(self) -> Path:
        return self.root / "pki"


def make_config(algorithm: EncryptionAlgorithm = EncryptionAlgorithm.RSA_2048) -> BootstrapConfig:
    config = default_config(NODE_NAME)
    cluster = replace(
        config.cluster,
        encryption_algorithm=algorithm,
        api_server_cert_sans=("api.example.test", "203.0.113.7", "not valid!"),
    )
    return replace(
        config, cluster=cluster, endpoint=APIEndpoint(advertise_address=ADVERTISE, bind_port=6443)
    )


def build(config: BootstrapConfig, root: Path) -> Built:
    lines: list[str] = []
    pki.create_all(config, root / "pki", lines.append)
    kubeconfig.create_all(config, root, lines.append)
    return Built(config, root, tuple(lines))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The default (RSA-2048) PKI and kubeconfigs, generated once; read-only."""
    return build(make_config(), tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="session")
def built_p384(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The same with ECDSA P-384 keys, to see the key type and the signature hash follow."""
    return build(make_config(EncryptionAlgorithm.ECDSA_P384), tmp_path_factory.mktemp("p384"))


@pytest.fixture
def pki_copy(built: Built, tmp_path: Path) -> Built:
    """A private copy of the session state dir, for tests that rerun or tamper."""
    root = tmp_path / "state"
    shutil.copytree(built.root, root)
    return Built(built.config, root, ())


def openssl_raw(*args: str, stdin: bytes | None = None) -> bytes:
    """Run the ``openssl`` CLI (argv, no shell) and return its stdout; fail loudly otherwise."""
    result = subprocess.run(
        ["openssl", *args], input=stdin, capture_output=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def openssl(*args: str, stdin: bytes | None = None) -> str:
    return openssl_raw(*args, stdin=stdin).decode()
