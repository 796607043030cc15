"""Our certificates and kubeconfigs beside what the real kubeadm v1.37.2 writes, same config.

kubeadm runs ``init phase certs all`` and ``init phase kubeconfig all`` into temporary dirs;
we run ``kubeadm-verify phase certs`` and ``phase kubeconfig`` into a state dir. Keys and serial
numbers are random, so what is compared is everything else: the set of files and their modes,
each certificate's subject, issuer, SANs, key usages, extended key usages, CA flag and validity
length, and each kubeconfig's clusters, contexts and users with its client certificate subject.
"""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509

pytestmark = pytest.mark.integration

ADVERTISE = "192.0.2.10"
CONFIG = f"""\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {{advertiseAddress: {ADVERTISE}, bindPort: 6443}}
nodeRegistration: {{name: kvboot-node, criSocket: unix:///run/kvboot.sock}}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
apiServer: {{certSANs: [api.kvboot.test, 203.0.113.7]}}
networking: {{serviceSubnet: 10.96.0.0/12, dnsDomain: cluster.local}}
"""
KUBECONFIGS = (
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(kubeadm's dir, our state dir), each holding ``pki/`` and the kubeconfigs."""
    from bootstrap.upstream.binaries import ensure_binaries

    kubeadm = ensure_binaries(source="build") / "kubeadm"
    base = tmp_path_factory.mktemp("kvboot-files")
    theirs, ours = base / "kubeadm", base / "ours"
    config = base / "config.yaml"
    # kubeadm refuses --cert-dir beside --config: the file names the dir (we ignore the field)
    config.write_text(CONFIG + f"certificatesDir: {theirs / 'pki'}\n")
    for phase in ("certs", "kubeconfig"):
        where = ["--kubeconfig-dir", str(theirs)] if phase == "kubeconfig" else []
        done = subprocess.run(
            [str(kubeadm), "init", "phase", phase, "all", "--config", str(config), *where],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kubeadm_verify",
                "phase",
                phase,
                "--config",
                str(config),
                "--name",
                "kvboot-files",
                "--state-dir",
                str(ours),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return theirs, ours


def files(pki: Path) -> dict[str, int]:
    return {
        str(path.relative_to(pki)): stat.S_IMODE(path.stat().st_mode)
        for path in pki.rglob("*")
        if path.is_file()
    }


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """Everything kubeadm decides about a certificate (not its key, serial or exact times)."""
    extensions = {ext.oid.dotted_string: ext for ext in cert.extensions}
    summary: dict[str, Any] = {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "validity": round(
            (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() / 3600
        ),
        "extensions": sorted(extensions),
    }
    for kind in (
        x509.SubjectAlternativeName,
        x509.KeyUsage,
        x509.ExtendedKeyUsage,
        x509.BasicConstraints,
    ):
        try:
            value = cert.extensions.get_extension_for_class(kind)
        except x509.ExtensionNotFound:
            continue
        summary[kind.__name__] = (value.critical, _value(value.value))
    return summary


def _value(value: object) -> object:
    if isinstance(value, x509.SubjectAlternativeName):
        return sorted(str(name.value) for name in value)
    if isinstance(value, x509.ExtendedKeyUsage):
        return sorted(oid.dotted_string for oid in value)
    return repr(value)


def test_the_same_files_with_the_same_modes(written: tuple[Path, Path]) -> None:
    theirs, ours = written
    assert files(ours / "pki") == files(theirs / "pki")
    for name in KUBECONFIGS:
        assert stat.S_IMODE((ours / name).stat().st_mode) == stat.S_IMODE(
            (theirs / name).stat().st_mode
        ), name


def test_every_certificate_as_kubeadm_makes_it(written: tuple[Path, Path]) -> None:
    theirs, ours = written
    for name in sorted(files(theirs / "pki")):
        if not name.endswith(".crt"):
            continue
        mine = x509.load_pem_x509_certificate((ours / "pki" / name).read_bytes())
        kubeadms = x509.load_pem_x509_certificate((theirs / "pki" / name).read_bytes())
        assert describe(mine) == describe(kubeadms), name


def kubeconfig_shape(path: Path) -> dict[str, Any]:
    config = yaml.safe_load(path.read_text())
    users = []
    for user in config["users"]:
        data = dict(user["user"])
        pem = base64.b64decode(data.pop("client-certificate-data", ""))
        subject = x509.load_pem_x509_certificate(pem).subject.rfc4514_string() if pem else ""
        users.append((user["name"], sorted(data), subject))
    clusters = [
        (c["name"], c["cluster"]["server"], sorted(c["cluster"])) for c in config["clusters"]
    ]
    return {
        "keys": sorted(config),
        "clusters": clusters,
        "users": users,
        "contexts": config["contexts"],
        "current-context": config["current-context"],
    }


@pytest.mark.parametrize("name", KUBECONFIGS)
def test_every_kubeconfig_as_kubeadm_writes_it(written: tuple[Path, Path], name: str) -> None:
    theirs, ours = written
    assert kubeconfig_shape(ours / name) == kubeconfig_shape(theirs / name)
