"""Stop by recorded pid, and only after the start time matches: against real ``sleep`` processes."""

from __future__ import annotations

import os
import platform
import shutil
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bootstrap.runtime import health, process
from bootstrap.runtime.state import StateDir
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


LINGERING_THREAD = """
import ctypes, os, sys, threading, time
def exit_later():
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.01)
    os._exit(1)
threading.Thread(target=exit_later).start()
ctypes.CDLL(None).syscall({exit_nr}, 0)  # exit(2): the main thread alone
"""
"""A process whose main thread ends before its other thread, as a Go component's may when it
exits under load: the main thread is a zombie (``state Z``), the status not yet collectable."""
SYS_EXIT = {"x86_64": 60, "aarch64": 93}


@pytest.mark.skipif(platform.machine() not in SYS_EXIT, reason="exit(2)'s number unknown here")
def test_an_exit_is_reported_with_its_status_while_its_threads_still_end(tmp_path: Path) -> None:
    """The message ``up`` fails with names the status even when the main thread has ended
    before the rest of the process (kube-apiserver's was once reported without it)."""
    release = tmp_path / "release"
    script = LINGERING_THREAD.format(exit_nr=SYS_EXIT[platform.machine()])
    state = StateDir(tmp_path / "cluster", "cluster")
    record = process.start(
        "lingering", [sys.executable, "-c", script, str(release)], state.log("lingering")
    )
    state.add_process(record)
    try:
        deadline = time.monotonic() + 30
        while process.is_running(record) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.read_stat(record.pid) is not None, "the process ended whole"
        assert process.read_stat(record.pid)[0] == "Z"  # type: ignore[index]
        threading.Timer(0.3, release.touch).start()
        assert health.failed_process(state) == (
            f"lingering exited with status 1; see {state.log('lingering')}"
        )
    finally:
        release.touch()
        process.stop([record])


def test_stopping_a_gone_process_is_a_no_op(tmp_path: Path) -> None:
    record = process.start("true", ["/bin/true"], tmp_path / "t.log")
    time.sleep(0.2)
    assert process.stop([record]) == []


def test_a_missing_binary_is_a_bootstrap_error(tmp_path: Path) -> None:
    with pytest.raises(BootstrapError, match="cannot start ghost"):
        process.start("ghost", [str(tmp_path / "nope")], tmp_path / "g.log")


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (an orphan this machine's init may not reap) is dead."""
    stat = process.read_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def test_rss_is_read_from_proc_and_zero_once_gone(tmp_path: Path) -> None:
    sleeper = process.start("sleep", [SLEEP, "30"], tmp_path / "sleep.log")
    try:
        deadline = time.monotonic() + 5  # asleep: started, and its memory no longer changing
        while (process.read_stat(sleeper.pid) or ("",))[0] != "S" and time.monotonic() < deadline:
            time.sleep(0.01)
        statm = Path(f"/proc/{sleeper.pid}/statm").read_text().split()
        assert process.rss_bytes(sleeper) == int(statm[1]) * os.sysconf("SC_PAGE_SIZE") > 0
        assert process.rss_bytes(replace(sleeper, start_ticks=sleeper.start_ticks - 1)) == 0
    finally:
        process.stop([sleeper])
    assert process.rss_bytes(sleeper) == 0


def test_a_working_directory_keeps_pid_and_start_time(tmp_path: Path) -> None:
    record = process.start(
        "pwd", ["/bin/sh", "-c", "pwd; exec sleep 30"], tmp_path / "pwd.log", cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 5
        while not (tmp_path / "pwd.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (tmp_path / "pwd.log").read_text().split() == [str(tmp_path)]
        assert process.is_running(record)  # env exec'd the program: same pid, same start
        assert record.argv == ("/bin/sh", "-c", "pwd; exec sleep 30")
    finally:
        process.stop([record])
    assert not process.is_running(record)


def test_a_group_stop_reaches_the_workers_too(tmp_path: Path) -> None:
    pidfile = tmp_path / "worker.pid"
    leader = process.start(
        "leader", ["/bin/sh", "-c", f"{SLEEP} 30 & echo $! > {pidfile}; wait"], tmp_path / "l.log"
    )
    deadline = time.monotonic() + 5
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    worker = int(pidfile.read_text())
    assert os.getpgid(worker) == leader.pid
    stopped = process.stop([leader], group=True, term_timeout=2)
    assert [r.pid for r in stopped] == [leader.pid]
    time.sleep(0.2)
    assert not _alive(worker), "a worker in the group outlived the stop"


def test_without_group_the_workers_are_left_alone(tmp_path: Path) -> None:
    """The control plane's stop signals exactly the recorded process, as before."""
    pidfile = tmp_path / "worker.pid"
    leader = process.start(
        "leader",
        ["/bin/sh", "-c", f"{SLEEP} 30 & echo $! > {pidfile}; wait"],
        tmp_path / "l.log",
    )
    deadline = time.monotonic() + 5
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    worker = int(pidfile.read_text())
    try:
        process.stop([leader], term_timeout=2)
        time.sleep(0.2)
        assert _alive(worker)
    finally:
        os.kill(worker, 9)


def test_a_foreground_run_reports_its_status_and_sweeps_its_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "worker.pid"
    argv = ["/bin/sh", "-c", f"{SLEEP} 30 & echo $! > {pidfile}; exit 4"]
    finished = process.run("quick", argv, tmp_path / "q.log", timeout_s=10)
    assert finished == process.Finished(4, timed_out=False)
    time.sleep(0.2)
    assert not _alive(int(pidfile.read_text())), "a worker outlived its leader's run"


def test_a_foreground_run_is_stopped_at_its_deadline(tmp_path: Path) -> None:
    began = time.monotonic()
    finished = process.run(
        "slow",
        ["/bin/sh", "-c", "trap '' INT; sleep 30"],
        tmp_path / "s.log",
        timeout_s=0.3,
        grace_s=0.5,
        kill_timeout=5,
    )
    assert finished.timed_out and finished.code == -9
    assert time.monotonic() - began < 5


def test_a_foreground_run_is_stopped_by_an_exception_and_reraises(tmp_path: Path) -> None:
    """An interrupt while waiting: the run is stopped (its first signal, then SIGKILL) and the
    interrupt goes on."""
    marker = tmp_path / "got-int"
    ready = tmp_path / "ready"
    argv = ["/bin/sh", "-c", f"trap 'touch {marker}; exit 130' INT; touch {ready}; sleep 30 & wait"]

    def interrupt_when_ready() -> None:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        process.run("trapping", argv, tmp_path / "t.log", timeout_s=30, grace_s=5)
    assert marker.exists()


def test_kill_if_checks_after_holding_the_pid(tmp_path: Path) -> None:
    sleeper = process.start("sleep", [SLEEP, "30"], tmp_path / "sleep.log")
    try:
        asked: list[int] = []

        def refuse(pid: int) -> bool:
            asked.append(pid)
            return False

        assert not process.kill_if(sleeper.pid, refuse)
        assert asked == [sleeper.pid]
        time.sleep(0.1)
        assert process.is_running(sleeper), "signalled although the check said no"
        assert process.kill_if(sleeper.pid, lambda pid: True)
        deadline = time.monotonic() + 5
        while process.is_running(sleeper) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.exit_code(sleeper) == -9
    finally:
        process.stop([sleeper])
