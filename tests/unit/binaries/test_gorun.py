"""Running build commands: output lands in the log, failures name it, stderr gets one line each."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bootstrap.upstream.gorun import GoRunner, StatusLine, go_env
from kubeadm_verify.errors import BootstrapError


def runner(tmp_path: Path) -> tuple[GoRunner, io.StringIO]:
    stream = io.StringIO()
    return GoRunner(tmp_path / "logs" / "build.log", StatusLine(stream)), stream


def test_output_is_streamed_to_the_log(tmp_path: Path) -> None:
    go, status = runner(tmp_path)
    script = "import sys; print('compiling a'); print('oops', file=sys.stderr)"
    argv = [sys.executable, "-c", script]
    elapsed = go.run("build thing", argv, tmp_path)
    log = (tmp_path / "logs" / "build.log").read_text()
    assert "compiling a\n" in log and "oops\n" in log
    assert "### exit 0 after" in log and "build thing" in log
    assert elapsed >= 0
    assert status.getvalue().splitlines() == [
        f"[binaries] build thing (log: {tmp_path / 'logs' / 'build.log'})",
        f"[binaries] build thing: done in {elapsed:.1f}s",
    ]


def test_a_failure_names_the_log(tmp_path: Path) -> None:
    go, status = runner(tmp_path)
    argv = [sys.executable, "-c", "print('undefined: x'); raise SystemExit(3)"]
    expected = r"build thing failed \(go exited 3\); see .*build\.log"
    with pytest.raises(BootstrapError, match=expected):
        go.run("build thing", argv, tmp_path)
    assert "undefined: x" in (tmp_path / "logs" / "build.log").read_text()
    assert status.getvalue().splitlines()[-1] == "[binaries] build thing: failed"


def test_queries_return_stdout_and_log_stderr(tmp_path: Path) -> None:
    go, _ = runner(tmp_path)
    argv = [sys.executable, "-c", "import sys; print('{}'); print('note', file=sys.stderr)"]
    assert go.output("query", argv, tmp_path) == "{}\n"
    assert "note" in (tmp_path / "logs" / "build.log").read_text()


def test_builds_are_static_and_ignore_workspaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    monkeypatch.setenv("CGO_ENABLED", "1")
    env = go_env({"GOBIN": "/x"})
    assert env["CGO_ENABLED"] == "0" and env["GOWORK"] == "off" and env["GOBIN"] == "/x"
    assert env["GOFLAGS"] == "-mod=mod"  # the user's flags are respected


def test_a_failed_query_says_why_in_one_line(tmp_path: Path) -> None:
    go, _ = runner(tmp_path)
    script = "import sys; print('go: downloading x'); sys.exit('go: module x: not found')"
    with pytest.raises(BootstrapError, match=r"^query failed: go: module x: not found \(log: "):
        go.output("query", [sys.executable, "-c", script], tmp_path)
    assert go.output("query", [sys.executable, "-c", script], tmp_path, check=False) == (
        "go: downloading x\n"
    )
