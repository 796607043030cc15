"""A failing test about a bootstrap token never puts the token's secret in a report.

Reproduces what leaked: a kubeadm configuration with one bootstrap token usable for
authentication only, brought up by ``kubeadm-verify cluster --up --config``, fails
``kubeadm/bootstrap-token`` (kubeadm's token must also sign cluster-info). pytest's assertion
explanation used to print the token Secret's data, and the runner copied it into results.json
and junit.xml. The secret must appear in neither, nor on stdout or stderr.
"""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path

import pytest

from tests.integration.conformance.conftest import run_cli

pytestmark = pytest.mark.integration


def test_a_failed_token_test_reports_no_secret(tmp_path: Path) -> None:
    token_id, token_secret = secrets.token_hex(3), secrets.token_hex(8)
    config = tmp_path / "tok.yaml"
    config.write_text(
        textwrap.dedent(f"""\
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        bootstrapTokens:
        - token: {token_id}.{token_secret}
          groups: [system:bootstrappers:kubeadm:default-node-token]
          usages: [authentication]
        """)
    )
    run = run_cli(
        "--up",
        "--config",
        str(config),
        "--focus",
        "^kubeadm/bootstrap-token$",
        output=tmp_path / "reports",
    )
    assert run.code == 1, run.stderr[-2000:]
    [result] = run.results["checks"]
    assert result["id"] == "kubeadm/bootstrap-token" and result["status"] == "fail", result
    assert f"token {token_id} is not usable for signing" in result["message"]
    reports = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert {p.name for p in reports} >= {"results.json", "junit.xml"}
    for text, where in [(p.read_text(), str(p)) for p in reports] + [
        (run.stdout, "stdout"),
        (run.stderr, "stderr"),
    ]:
        assert token_secret not in text, f"the token's secret reached {where}"
