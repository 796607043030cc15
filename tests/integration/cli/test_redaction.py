"""Planted secrets never reach a report, the console or stderr, whichever tier produced them.

The cluster tier's path is taken for real: the runner runs a package of failing tests in-process
(assertion explanations, exceptions, setup errors, warnings, each carrying a planted secret) and
the verb's writers render the outcome. The node tier's is taken through the CLI: a root whose
``proc/meminfo`` and ``proc/cpuinfo`` hold a shadow line (the parsers no longer echo raw lines;
the scrubber would catch one that did, as the unit tests show).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from kubeadm_verify.cli.common import finish
from kubeadm_verify.report.console import make_console, print_tests
from kubeadm_verify.runner import run_tier
from tests.integration.cli.conftest import Cli, assert_outcome
from tests.integration.cli.planted import secrets

pytestmark = pytest.mark.integration


def test_planted_test_outcomes_are_scrubbed_by_every_writer(tmp_path: Path) -> None:
    report = run_tier(
        "cluster", "tests.integration.cli.planted", args=["-q", "-o", "python_files=planted_*.py"]
    )
    statuses = {r.id.rsplit("::", 1)[-1]: r.status.value for r in report.results}
    assert statuses == {
        "test_assertion_shows_a_token_secret": "fail",
        "test_assertion_shows_secret_data": "fail",
        "test_exception_carries_a_bearer_and_a_join_command": "fail",
        "test_a_key_and_a_shadow_line_in_a_message": "fail",
        "test_setup_error_with_a_key": "error",
        "test_warning_property": "warn",
    }
    raw = " ".join(r.message for r in report.results)
    assert secrets.TOKEN_SECRET in raw  # planted for real: the outcome does carry them
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        print_tests(make_console(), report)
        code = finish(report, tmp_path, "json")
    assert code == 1
    written = "".join(p.read_text() for p in (tmp_path / "cluster").iterdir())
    for secret in secrets.ALL:
        assert secret not in written + shown.getvalue(), secret
    assert f"{secrets.TOKEN_ID}.<redacted>" in written  # the token id is kept to find it


def test_node_tier_does_not_copy_shadow_lines_into_reports(cli: Cli) -> None:
    root = cli.root / "host"
    (root / "proc").mkdir(parents=True)
    line = f"root:{secrets.HASH}:19000:0:99999:7:::\n"
    (root / "proc" / "meminfo").write_text(line + "MemTotal: 1 kB\n")
    (root / "proc" / "cpuinfo").write_text(line)
    outcome = cli.run("node", "--root", str(root), "--format", "json", timeout=60)
    assert outcome.code == 1 and outcome.lines == [], outcome.stderr
    read = {c["id"]: c["status"] for c in cli.results("node")["checks"]}
    assert read["Mem"] == read["NumCPU"] == "error"  # both files were read, and refused
    for text in (cli.report_text("node"), outcome.stdout, outcome.stderr):
        assert "plantedhashvalue" not in text


def test_a_secret_in_a_start_failure_is_scrubbed_on_stderr_and_in_reports(cli: Cli) -> None:
    outcome = cli.run("cluster", "--kubeconfig", f"/nonexistent/{secrets.TOKEN}", timeout=60)
    assert_outcome(cli, outcome, code=2, says="does not exist", tier="cluster", secrets=secrets.ALL)
