"""``kubeadm-verify e2e`` in-process: what cannot start exits 2 and still leaves its reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubeadm_verify.cli import main


def start_error(output: Path) -> str:
    data = json.loads((output / "e2e" / "results.json").read_text())
    assert [(c["id"], c["status"]) for c in data["checks"]] == [("e2e/start", "error")]
    message: str = data["checks"][0]["message"]
    assert (output / "e2e" / "junit.xml").read_text().count("<error ") == 1
    return message


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--mode", "certified", "--focus", "DNS"], "drop --focus/--skip"),
        (["--timeout", "forever"], "--timeout 'forever'"),
        (["--mirror", "ftp://mirror"], "--mirror 'ftp://mirror'"),
        (
            [
                "--kubernetes-version",
                "v1.37.2",
                "--test-package",
                "/nonexistent/pkg.tar.gz",
                "--test-package-sha256",
                "a" * 64,
                "--dry-run",
            ],
            "no such file",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    output = tmp_path / "reports"
    assert main(["e2e", "--output-dir", str(output), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
    assert expected in start_error(output)


def test_no_kubeconfig_and_no_version_cannot_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    output = tmp_path / "reports"
    assert main(["e2e", "--output-dir", str(output)]) == 2
    assert "no kubeconfig: --kubeconfig not given" in capsys.readouterr().err
    assert "no kubeconfig: --kubeconfig not given" in start_error(output)
