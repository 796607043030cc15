"""The issue's reproduction, end to end: a failing token test must not publish the token.

``cluster --up`` brings up a real cluster whose one bootstrap token is usable for authentication
only, so ``kubeadm/bootstrap-token`` fails, and pytest's assertion explanation holds the token's
Secret. Neither report, stdout nor stderr may carry its secret; the id stays, to find the token.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

import pytest

from tests.integration.cli.conftest import Cli

pytestmark = [pytest.mark.integration, pytest.mark.cluster]


def _token() -> tuple[str, str]:
    alphabet = string.ascii_lowercase + string.digits
    return ("kvcore", "".join(secrets.choice(alphabet) for _ in range(16)))


def test_a_failing_bootstrap_token_test_does_not_leak_the_token(cli: Cli) -> None:
    token_id, secret = _token()
    config = cli.root / "tok.yaml"
    config.write_text(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
        f"bootstrapTokens:\n- token: {token_id}.{secret}\n"
        "  usages: [authentication]\n"
    )
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    outcome = cli.run(
        "cluster",
        "--up",
        "--config",
        str(config),
        "--focus",
        "^kubeadm/bootstrap-token$",
        "--format",
        "json",
        env={"XDG_CACHE_HOME": cache},
        timeout=900,
    )
    checks = {c["id"]: c for c in cli.results("cluster")["checks"]}
    assert checks["kubeadm/bootstrap-token"]["status"] == "fail", outcome.stderr
    assert outcome.code == 1
    everything = cli.report_text("cluster") + outcome.stdout + outcome.stderr
    assert secret not in everything
    assert f"{token_id}" in checks["kubeadm/bootstrap-token"]["message"]
    assert "Traceback" not in outcome.stderr
    assert list(cli.tmp.iterdir()) == []
