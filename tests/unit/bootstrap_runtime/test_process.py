"""Stop by recorded pid, and only after the start time matches: against real ``sleep`` processes."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bootstrap.runtime import process
from kubeadm_verify.errors import BootstrapError

SLEEP = shutil.which("sleep") or "/bin/sleep"


def test_start_records_identity_and_logs(tmp_path: Path) -> None:
    record = process.start(
        "echo",
        ["/bin/sh", "-c", "echo out; echo err >&2; sleep 30"],
        tmp_path / "logs" / "echo.log",
    )
    try:
        assert record.pid > 0
        stat = process.read_stat(record.pid)
        assert stat is not None and stat[1] == record.start_ticks
        assert record.boot_id == process.boot_id()
        assert process.is_running(record)
        assert os.getsid(record.pid) == record.pid  # its own session
        deadline = time.monotonic() + 5
        log = tmp_path / "logs" / "echo.log"
        while "err" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert log.read_text().split() == ["out", "err"]
    finally:
        process.stop([record])
    assert not process.is_running(record)


def test_stop_terms_then_kills(tmp_path: Path) -> None:
    stubborn = process.start(
        "stubborn", ["/bin/sh", "-c", "trap '' TERM; sleep 30"], tmp_path / "s.log"
    )
    time.sleep(0.2)  # let the shell install its trap
    began = time.monotonic()
    stopped = process.stop([stubborn], term_timeout=0.5, kill_timeout=5)
    assert [r.pid for r in stopped] == [stubborn.pid]
    assert not process.is_running(stubborn)
    assert 0.4 < time.monotonic() - began < 5


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    sleeper = process.start("sleep", [SLEEP, "30"], tmp_path / "sleep.log")
    try:
        stranger = replace(sleeper, start_ticks=sleeper.start_ticks - 1)
        assert not process.is_running(stranger)
        assert process.stop([stranger]) == []
        time.sleep(0.1)
        assert process.is_running(sleeper)
        other_boot = replace(sleeper, boot_id="another-boot")
        assert process.stop([other_boot]) == []
        assert process.is_running(sleeper)
    finally:
        process.stop([sleeper])
    assert not process.is_running(sleeper)


def test_exit_status_of_a_dead_child(tmp_path: Path) -> None:
    record = process.start("false", ["/bin/sh", "-c", "exit 3"], tmp_path / "f.log")
    deadline = time.monotonic() + 5
    while process.is_running(record) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not process.is_running(record)
    # is_running reaped it; a fresh start of an exiting child reports its status
    record = process.start("false", ["/bin/sh", "-c", "exit 3"], tmp_path / "f.log")
    while process.read_stat(record.pid) and process.read_stat(record.pid)[0] not in "ZX":  # type: ignore[index]
        time.sleep(0.01)
    assert process.exit_code(record) == 3


def test_stopping_a_gone_process_is_a_no_op(tmp_path: Path) -> None:
    record = process.start("true", ["/bin/true"], tmp_path / "t.log")
    time.sleep(0.2)
    assert process.stop([record]) == []


def test_a_missing_binary_is_a_bootstrap_error(tmp_path: Path) -> None:
    with pytest.raises(BootstrapError, match="cannot start ghost"):
        process.start("ghost", [str(tmp_path / "nope")], tmp_path / "g.log")
