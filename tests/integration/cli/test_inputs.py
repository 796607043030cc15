"""Bad settings and unusable output folders: found before any work, one line, exit 2.

An output folder that is a file, lies under a file, or is read-only (a real read-only tmpfs: root
writes anywhere else) stops the run before the node checks run or a cluster comes up. A
``KUBEADM_VERIFY_*`` value goes through the option's own rules and the error names the variable;
the reports are written all the same.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.cli.conftest import Cli, assert_outcome

pytestmark = pytest.mark.integration


@pytest.fixture
def read_only_dir(cli: Cli) -> Iterator[Path]:
    where = cli.root / "ro"
    where.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "kvcore-ro", str(where)], check=True
    )
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def _bad_dirs(cli: Cli, read_only: Path) -> dict[str, tuple[str, str]]:
    a_file = cli.root / "a-file"
    a_file.write_text("not a folder\n")
    return {
        "file": (str(a_file), "exists and is not a directory"),
        "under-file": (str(a_file / "reports"), f"{a_file} is a file"),
        "read-only": (str(read_only / "reports"), "cannot write reports there"),
    }


@pytest.mark.parametrize("case", ["file", "under-file", "read-only"])
@pytest.mark.parametrize("verb", ["node", "cluster", "e2e"])
def test_an_unusable_output_dir_stops_the_run_first(
    cli: Cli, read_only_dir: Path, case: str, verb: str
) -> None:
    folder, says = _bad_dirs(cli, read_only_dir)[case]
    extra = {
        "cluster": ["--kubeconfig", "/nonexistent"],
        "e2e": ["--kubeconfig", "/nonexistent"],
        "node": [],
    }[verb]
    outcome = cli.run(verb, "--output-dir", folder, *extra, output=False, timeout=60)
    assert_outcome(cli, outcome, code=2, says=says, tier=None, within=15)
    assert "--output-dir" in outcome.lines[0]


def test_cluster_up_checks_the_output_dir_before_a_cluster_comes_up(
    cli: Cli, read_only_dir: Path
) -> None:
    folder, says = _bad_dirs(cli, read_only_dir)["under-file"]
    outcome = cli.run("cluster", "--up", "--output-dir", folder, output=False, timeout=60)
    assert_outcome(cli, outcome, code=2, says=says, tier=None, within=10)
    state = cli.root / "cache" / "kubeadm-verify"
    assert not state.exists() or not any(state.rglob("cluster.json")), "a cluster came up"


@pytest.mark.parametrize(
    ("verb", "variable", "value", "says"),
    [
        ("node", "KUBEADM_VERIFY_FORMAT", "xml", "KUBEADM_VERIFY_FORMAT='xml': invalid choice"),
        (
            "cluster",
            "KUBEADM_VERIFY_PARALLEL",
            "abc",
            "KUBEADM_VERIFY_PARALLEL='abc': invalid int value",
        ),
        ("e2e", "KUBEADM_VERIFY_MODE", "everything", "KUBEADM_VERIFY_MODE='everything'"),
        ("cluster", "KUBEADM_VERIFY_LIST", "maybe", "KUBEADM_VERIFY_LIST='maybe'"),
    ],
)
def test_environment_values_obey_the_parser_and_name_the_variable(
    cli: Cli, verb: str, variable: str, value: str, says: str
) -> None:
    outcome = cli.run(verb, env={variable: value}, timeout=60)
    assert_outcome(cli, outcome, code=2, says=says, tier=verb, within=15)
    checks = cli.results(verb)["checks"]
    assert [(c["id"], c["status"]) for c in checks] == [(f"{verb}/start", "error")]
    assert variable in checks[0]["message"]


@pytest.mark.parametrize(
    ("verb", "variable", "value", "says"),
    [
        ("up", "KUBEADM_VERIFY_NODES", "many", "KUBEADM_VERIFY_NODES='many': invalid int value"),
        ("up", "KUBEADM_VERIFY_FREE_PORTS", "perhaps", "KUBEADM_VERIFY_FREE_PORTS='perhaps'"),
        ("join", "KUBEADM_VERIFY_NODES", "1.5", "KUBEADM_VERIFY_NODES='1.5': invalid int value"),
        ("binaries", "KUBEADM_VERIFY_SOURCE", "ftp", "KUBEADM_VERIFY_SOURCE='ftp': invalid choice"),
        ("down", "KUBEADM_VERIFY_DEBUG", "sometimes", "KUBEADM_VERIFY_DEBUG='sometimes'"),
    ],
)
def test_the_bootstrap_verbs_variables_obey_the_parser_and_name_the_variable(
    cli: Cli, verb: str, variable: str, value: str, says: str
) -> None:
    """The variables of the verbs that bring clusters up and down are their declarations' too:
    a bad one stops the verb before anything is made (no state dir, nothing on stdout)."""
    state = cli.root / "kva-state"
    where = () if verb == "binaries" else ("--state-dir", str(state))
    outcome = cli.run(verb, *where, env={variable: value}, timeout=60, output=False)
    assert_outcome(cli, outcome, code=2, says=says, tier=None, within=15)
    assert outcome.stdout == ""
    assert not state.exists()


def test_an_environment_output_dir_is_checked_like_the_flag(cli: Cli) -> None:
    a_file = cli.root / "a-file"
    a_file.write_text("x\n")
    outcome = cli.run("node", env={"KUBEADM_VERIFY_OUTPUT_DIR": str(a_file)}, output=False)
    assert_outcome(cli, outcome, code=2, says="exists and is not a directory", tier=None)


def test_the_kubernetes_clients_own_error_logging_stays_off_stderr(cli: Cli) -> None:
    """An exec credential plugin that prints nonsense makes the client ``logging.error`` it; the
    one line we print names the plugin and what it printed wrong, before any connection."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    plugin = cli.root / "plugin.sh"
    plugin.write_text("#!/bin/sh\necho 'not json'\n")
    plugin.chmod(0o755)
    kubeconfig = cli.root / "exec.kubeconfig"
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "interactiveMode": "Never",
        }
    }
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "k", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                "users": [{"name": "u", "user": exec_user}],
            }
        )
    )
    outcome = cli.run("cluster", "--kubeconfig", str(kubeconfig), timeout=60)
    assert "ERROR:root" not in outcome.stderr
    assert_outcome(
        cli,
        outcome,
        code=2,
        tier="cluster",
        says=f"the exec credential plugin {plugin} failed: exec: failed to decode process output",
    )


def test_a_client_key_of_another_certificate_is_not_called_a_ca_mismatch(cli: Cli) -> None:
    import base64
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def pem_pair() -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kvcore")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + timedelta(hours=1))
            .sign(key, hashes.SHA256())
        )
        return (
            cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    cert, _ = pem_pair()
    ca, other_key = pem_pair()
    user = {
        "client-certificate-data": base64.b64encode(cert).decode(),
        "client-key-data": base64.b64encode(other_key).decode(),
    }
    kubeconfig = cli.root / "mismatch.kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [
                    {
                        "name": "k",
                        "cluster": {
                            "server": "https://127.0.0.1:1",
                            "certificate-authority-data": base64.b64encode(ca).decode(),
                        },
                    }
                ],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                "users": [{"name": "u", "user": user}],
            }
        )
    )
    outcome = cli.run("cluster", "--kubeconfig", str(kubeconfig), timeout=60)
    key_body = other_key.decode().splitlines()[1]
    assert_outcome(
        cli,
        outcome,
        code=2,
        tier="cluster",
        secrets=[key_body, user["client-key-data"]],
        says="the client key does not match the client certificate",
    )
    assert "certificate-authority" not in outcome.stderr
