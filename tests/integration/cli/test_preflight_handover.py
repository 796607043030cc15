"""``kubeadm-verify phase preflight``: the CLI hands the node tier's ``run`` to the phase, so the
checks run as plain functions (no pytest session) and print kubeadm's lines."""

from __future__ import annotations

import pytest

from tests.integration.cli.conftest import Cli

pytestmark = pytest.mark.integration


def test_the_phase_runs_the_node_checks_it_is_handed(cli: Cli) -> None:
    state = cli.root / "state"
    outcome = cli.run(
        "phase",
        "preflight",
        "--name",
        "kvshape-preflight",
        "--state-dir",
        str(state),
        output=False,
        timeout=60,
    )
    assert outcome.code == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0] == "[preflight] Running pre-flight checks"
    assert all(line.startswith("\t[WARNING ") for line in lines[1:]), lines
    assert "pytest" not in outcome.stdout + outcome.stderr
    assert outcome.seconds < 10
