"""Finding and reading the kubeconfig as kubectl does, and sorting what goes wrong.

Offline: the "server" cases use a closed port and a TLS listener on the loopback, started here.
"""

from __future__ import annotations

import base64
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kubeadm_verify import access as kubeconfig
from kubeadm_verify.errors import ClusterError, InputError


def write_config(
    path: Path,
    server: str = "https://127.0.0.1:6443",
    ca: bytes | None = None,
    contexts: tuple[str, ...] = ("admin@kubernetes",),
    **extra: Any,
) -> Path:
    cluster: dict[str, Any] = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubernetes", "cluster": cluster}],
        "users": [{"name": "admin", "user": {"token": "abc.def"}}],
        "contexts": [
            {"name": c, "context": {"cluster": "kubernetes", "user": "admin"}} for c in contexts
        ],
        "current-context": contexts[0] if contexts else "",
        **extra,
    }
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_flag_wins_and_must_exist(tmp_path: Path) -> None:
    config = write_config(tmp_path / "a")
    env = {"KUBECONFIG": str(tmp_path / "other"), "HOME": str(tmp_path)}
    assert kubeconfig.resolve(str(config), None, env).paths == (config,)
    with pytest.raises(InputError, match="does not exist"):
        kubeconfig.resolve(str(tmp_path / "missing"), None, env)


def test_kubeconfig_lists_files_and_ignores_missing_ones(tmp_path: Path) -> None:
    first, second = write_config(tmp_path / "a"), write_config(tmp_path / "b")
    env = {"KUBECONFIG": f"{first}:{tmp_path / 'gone'}:{second}", "HOME": str(tmp_path)}
    assert kubeconfig.resolve(None, None, env).paths == (first, second)
    with pytest.raises(InputError, match="none of the kubeconfig files"):
        kubeconfig.resolve(None, None, {"KUBECONFIG": str(tmp_path / "gone")})


def test_default_is_home_kube_config(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no kubeconfig"):
        kubeconfig.resolve(None, None, {"HOME": str(tmp_path)})
    (tmp_path / ".kube").mkdir()
    default = write_config(tmp_path / ".kube" / "config")
    assert kubeconfig.resolve(None, None, {"HOME": str(tmp_path)}).paths == (default,)


def test_merge_first_definition_wins_and_paths_become_absolute(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    first = tmp_path / "one" / "config"
    first.write_text(
        yaml.safe_dump(
            {
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {"server": "https://first", "certificate-authority": "ca.crt"},
                    }
                ],
                "users": [{"name": "u", "user": {"client-key": "/abs/key"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    second = write_config(tmp_path / "second", server="https://second", contexts=("x", "y"))
    merged = kubeconfig.merged(kubeconfig.Target((first, second), None))
    clusters = {c["name"]: c["cluster"] for c in merged["clusters"]}
    assert clusters["c"]["certificate-authority"] == str(tmp_path / "one" / "ca.crt")
    assert clusters["kubernetes"]["server"] == "https://second"
    assert [c["name"] for c in merged["contexts"]] == ["x", "y"]
    assert merged["current-context"] == "x"  # the first file to set it: the second here
    assert merged["users"][0]["user"]["client-key"] == "/abs/key"


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("apiVersion: v1\nclusters: [\n  - name: x\n    : :\n")
    with pytest.raises(InputError, match=r"is not valid YAML \(line \d+"):
        kubeconfig.load(kubeconfig.Target((bad,), None))
    (tmp_path / "list").write_text("- a\n- b\n")
    with pytest.raises(InputError, match="not a kubeconfig"):
        kubeconfig.load(kubeconfig.Target((tmp_path / "list",), None))


def test_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c", contexts=("one", "two"))
    with pytest.raises(InputError, match=r"context 'three' not found .*\(contexts: one, two\)"):
        kubeconfig.load(kubeconfig.Target((config,), "three"))
    empty = write_config(tmp_path / "e", contexts=())
    with pytest.raises(InputError, match="no current-context"):
        kubeconfig.load(kubeconfig.Target((empty,), None))


def test_a_context_pointing_nowhere_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "c"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [],
                "users": [],
                "contexts": [{"name": "x", "context": {"cluster": "missing", "user": "missing"}}],
                "current-context": "x",
            }
        )
    )
    with pytest.raises(InputError):
        kubeconfig.load(kubeconfig.Target((path,), None))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_a_cluster_error(tmp_path: Path) -> None:
    port = closed_port()
    config = write_config(tmp_path / "c", server=f"https://127.0.0.1:{port}")
    api_client, context = kubeconfig.load(kubeconfig.Target((config,), None))
    with pytest.raises(
        ClusterError,
        match=f"cannot reach the API server at https://127.0.0.1:{port}: connection refused",
    ):
        kubeconfig.check_connection(api_client, context)


def self_signed(name: str) -> tuple[bytes, bytes]:
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
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """A loopback TLS listener with its own self-signed certificate; it answers nothing."""
    cert, key = self_signed("localhost")
    (tmp_path / "srv.crt").write_bytes(cert)
    (tmp_path / "srv.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "srv.crt", tmp_path / "srv.key")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def test_a_ca_that_does_not_match_is_a_tls_error_naming_the_failure(
    tmp_path: Path, tls_server: int
) -> None:
    other_ca, _ = self_signed("some-other-ca")
    config = write_config(tmp_path / "c", server=f"https://localhost:{tls_server}", ca=other_ca)
    api_client, context = kubeconfig.load(kubeconfig.Target((config,), None))
    assert api_client.configuration.verify_ssl, "verification must stay on"
    with pytest.raises(
        ClusterError,
        match="TLS verification of the API server at "
        r"https://localhost:\d+ failed: .*certificate",
    ):
        kubeconfig.check_connection(api_client, context)


def _client_config(tmp_path: Path, cert: bytes, key: bytes) -> kubeconfig.Target:
    user = {
        "client-certificate-data": base64.b64encode(cert).decode(),
        "client-key-data": base64.b64encode(key).decode(),
    }
    path = write_config(tmp_path / "config", ca=self_signed("ca")[0])
    data = yaml.safe_load(path.read_text())
    data["users"][0]["user"] = user
    path.write_text(yaml.safe_dump(data))
    return kubeconfig.Target((path,), None)


def test_a_client_key_of_another_certificate_is_named_as_such(tmp_path: Path) -> None:
    cert, _ = self_signed("user")
    _, other_key = self_signed("other")
    with pytest.raises(InputError, match="client key does not match the client certificate"):
        kubeconfig.load(_client_config(tmp_path, cert, other_key))


def test_a_client_key_that_is_not_a_key_is_not_called_a_ca_mismatch(tmp_path: Path) -> None:
    cert, _ = self_signed("user")
    garbage = b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    with pytest.raises(InputError) as caught:
        kubeconfig.load(_client_config(tmp_path, cert, garbage))
    message = str(caught.value)
    assert "not a valid PEM" in message
    assert "certificate-authority" not in message and "bm90IGEga2V5" not in message


def test_the_hand_over_file_is_one_private_context(tmp_path: Path) -> None:
    first = write_config(tmp_path / "a", contexts=("a",))
    second = write_config(tmp_path / "b", contexts=("b",))
    with kubeconfig.single_kubeconfig(kubeconfig.Target((first, second), "b")) as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        data = yaml.safe_load(path.read_text())
        assert [c["name"] for c in data["contexts"]] == ["b"]
        assert data["current-context"] == "b"
    assert not path.exists() and not path.parent.exists()


def test_in_cluster_needs_the_environment_and_the_token(tmp_path: Path) -> None:
    folder = tmp_path / "sa"
    folder.mkdir()
    env = {
        "HOME": str(tmp_path),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    with pytest.raises(InputError, match="not a Pod with a service account"):
        kubeconfig.resolve(None, None, env, folder)
    (folder / "token").write_text("t")
    with pytest.raises(InputError, match=r"ca\.crt does not exist"):
        kubeconfig.resolve(None, None, env, folder)
    (folder / "ca.crt").write_text("c")
    target = kubeconfig.resolve(None, None, env, folder)
    assert target.in_cluster is not None and target.in_cluster.server == "https://10.96.0.1:443"
    data = kubeconfig.merged(target)
    assert data["users"][0]["user"] == {"tokenFile": str(folder / "token")}
    with pytest.raises(InputError, match="context 'x' not found"):
        kubeconfig.check_context(data, kubeconfig.Target((), "x", target.in_cluster))


def test_relative_exec_commands_are_relative_to_their_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config")
    data = yaml.safe_load(config.read_text())
    data["users"][0]["user"] = {"exec": {"command": "./bin/cred", "apiVersion": "v1"}}
    data["users"].append({"name": "bare", "user": {"exec": {"command": "cred"}}})
    config.write_text(yaml.safe_dump(data))
    users = kubeconfig.merged(kubeconfig.Target((config,), None))["users"]
    assert users[0]["user"]["exec"]["command"] == str(tmp_path.resolve() / "bin" / "cred")
    assert users[1]["user"]["exec"]["command"] == "cred"
