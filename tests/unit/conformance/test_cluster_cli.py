"""``kubeadm-verify cluster`` without a cluster: --list and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubeadm_verify.cli import main
from tests.unit.core.test_access import write_config


def results(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "cluster" / "results.json").read_text())
    return data


def test_list_needs_no_cluster(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nothing-here"))
    assert main(["cluster", "--list", "--format", "json", "--focus", "^kubeadm/"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and {e["area"] for e in listed} == {"kubeadm"}
    assert all(set(e) == {"id", "area", "needs", "conformance", "timeout_s"} for e in listed)
    assert main(["cluster", "--list"]) == 0
    text = capsys.readouterr().out
    assert "api-machinery/discovery" in text and "[sig-api-machinery] Discovery" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--focus", "(unclosed"],
            "--focus '(unclosed' is not a valid regular expression: "
            "missing ), unterminated subpattern at position 0",
        ),
        (["--parallel", "0"], "--parallel 0: must be at least 1"),
        (["--allowed-not-ready-nodes", "-1"], "--allowed-not-ready-nodes -1: must be 0 or more"),
        (
            ["--up", "--kubeconfig", "x"],
            "--up brings up its own cluster; it takes no --kubeconfig/--context",
        ),
        (
            ["--kubeconfig", "/nonexistent/kubeconfig"],
            "kubeconfig /nonexistent/kubeconfig does not exist",
        ),
    ],
)
def test_cannot_start_exits_2_with_one_line_and_reports(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cluster", *argv, "--output-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"kubeadm-verify: {message}"]
    data = results(tmp_path)
    assert data["summary"] == {"pass": 0, "warn": 0, "fail": 0, "skip": 0, "error": 1}
    assert (tmp_path / "cluster" / "junit.xml").is_file()


def test_unknown_context_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "config", contexts=("a",))
    code = main(
        [
            "cluster",
            "--kubeconfig",
            str(config),
            "--context",
            "b",
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert "context 'b' not found" in capsys.readouterr().err
    checks = results(tmp_path / "out")["checks"]
    assert isinstance(checks, list) and checks[0]["id"] == "cluster/start"
