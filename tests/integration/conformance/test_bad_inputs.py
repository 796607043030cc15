"""Bad input stops ``kubeadm-verify cluster`` before any test: exit 2, one line on stderr, and
both report files written with one error entry that says why."""

from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bootstrap.runtime.handle import ClusterHandle
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.kubeadm import token_secret_manifest
from tests.integration.conformance.conftest import run_cli
from tests.unit.core.test_access import self_signed

pytestmark = pytest.mark.integration


Undo = list[Callable[[], None]]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin(handle: ClusterHandle) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(handle.kubeconfig.read_text())
    return data


def missing(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    return ["--kubeconfig", str(folder / "absent.conf")], "does not exist"


def malformed(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    path = folder / "broken.conf"
    path.write_text("apiVersion: v1\nclusters:\n  - name: [unclosed\n")
    return ["--kubeconfig", str(path)], "is not valid YAML (line"


def unknown_context(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    return ["--kubeconfig", str(handle.kubeconfig), "--context", "nope"], "context 'nope' not found"


def unreachable(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    config = _admin(handle)
    port = closed_port()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"  # type: ignore[index]
    path = folder / "unreachable.conf"
    path.write_text(yaml.safe_dump(config))
    return ["--kubeconfig", str(path)], f"cannot reach the API server at https://127.0.0.1:{port}"


def wrong_ca(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    config = _admin(handle)
    other, _ = self_signed("not-the-cluster-ca")
    cluster = config["clusters"][0]["cluster"]  # type: ignore[index]
    cluster["certificate-authority-data"] = base64.b64encode(other).decode()
    path = folder / "wrong-ca.conf"
    path.write_text(yaml.safe_dump(config))
    return ["--kubeconfig", str(path)], "TLS verification of the API server"


def bootstrap_token_user(handle: ClusterHandle, folder: Path, undo: Undo) -> tuple[list[str], str]:
    """A kubeadm join's bootstrap-token kubeconfig: it authenticates but may do little."""
    token_id, token_secret = secrets.token_hex(3), secrets.token_hex(8)
    api_client = handle.api_client()
    core = Kube(api_client).core
    core.create_namespaced_secret(
        "kube-system",
        token_secret_manifest(
            token_id,
            token_secret,
            {"kubeadm-verify.io/test-run": "bad-inputs"},
            datetime.now(UTC) + timedelta(minutes=10),
            ("authentication",),
        ),
    )

    def delete() -> None:
        try:
            core.delete_namespaced_secret(f"bootstrap-token-{token_id}", "kube-system")
        finally:
            api_client.close()

    undo.append(delete)
    kube = Kube(api_client)
    wait_for(
        "the token to authenticate",
        lambda: kube.raw("GET", "/apis", bearer=f"{token_id}.{token_secret}").status == 200,
        10,
    )
    config = _admin(handle)
    config["users"] = [
        {
            "name": "tls-bootstrap-token-user",  # as kubeadm names it
            "user": {"token": f"{token_id}.{token_secret}"},
        }
    ]
    for context in config["contexts"]:  # type: ignore[attr-defined]
        context["context"]["user"] = "tls-bootstrap-token-user"
    path = folder / "bootstrap.conf"
    path.write_text(yaml.safe_dump(config))
    return ["--kubeconfig", str(path)], (
        f"forbidden: system:bootstrap:{token_id} may not create namespaces"
    )


CASES: dict[str, Callable[[ClusterHandle, Path, Undo], tuple[list[str], str]]] = {
    "missing-file": missing,
    "malformed-yaml": malformed,
    "unknown-context": unknown_context,
    "unreachable-server": unreachable,
    "tls-failure": wrong_ca,
    "user-without-rights": bootstrap_token_user,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_one_line_and_reports(
    case: str, verify_cluster: ClusterHandle, tmp_path: Path
) -> None:
    undo: Undo = []
    try:
        args, expected = CASES[case](verify_cluster, tmp_path, undo)
        run = run_cli(*args, output=tmp_path / "out", timeout=60)
    finally:
        for step in undo:
            step()
    lines = run.stderr.strip().splitlines()
    assert run.code == 2, run.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("kubeadm-verify: ") and expected in lines[0], lines[0]
    results = run.results
    assert results["summary"] == {"pass": 0, "warn": 0, "fail": 0, "skip": 0, "error": 1}
    assert results["checks"][0]["id"] == "cluster/start"
    assert expected in results["checks"][0]["message"]
    junit = (tmp_path / "out" / "cluster" / "junit.xml").read_text()
    assert "<error" in junit and "cluster/start" in junit
