"""Running ginkgo: output to e2e.log, exit status kept, our deadline and interrupts enforced
on the process group we started (real processes, nothing mocked)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from conformance.e2e.execute import run_logged
from kubeadm_verify.interrupts import sigterm_interrupts


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "ginkgo"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return [str(path)]


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (this VM's init does not reap orphans) counts as dead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_output_and_status_are_kept(tmp_path: Path) -> None:
    argv = script(tmp_path, "echo out; echo err >&2; pwd; exit 3\n")
    ended = run_logged(argv, tmp_path / "e2e.log", tmp_path, timeout_s=30)
    assert (ended.code, ended.stopped_because) == (3, None)
    assert (tmp_path / "e2e.log").read_text().splitlines() == ["out", "err", str(tmp_path)]


def test_deadline_stops_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    argv = script(tmp_path, f"sleep 60 & echo $! > {pidfile}\nwait\n")
    started = time.monotonic()
    ended = run_logged(
        argv,
        tmp_path / "e2e.log",
        tmp_path,
        timeout_s=0.5,
        deadline_grace_s=0.0,
        interrupt_grace_s=2.0,
    )
    assert time.monotonic() - started < 15
    assert ended.stopped_because == "ginkgo outlived --timeout and was stopped"
    assert ended.code is not None and ended.code != 0
    time.sleep(0.2)
    assert not alive(int(pidfile.read_text())), "a worker outlived the stop"


def test_an_interrupt_stops_the_run_and_propagates(tmp_path: Path) -> None:
    marker, ready = tmp_path / "got-int", tmp_path / "ready"
    argv = script(
        tmp_path, f"trap 'touch {marker}; exit 130' INT\ntouch {ready}\nsleep 60 & wait\n"
    )

    def interrupt_when_ready() -> None:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C reaches only us

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_logged(argv, tmp_path / "e2e.log", tmp_path, timeout_s=60, interrupt_grace_s=10)
    assert marker.exists(), "ginkgo's group must get SIGINT first, so it can clean up"


def test_sigterm_becomes_an_interrupt_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_interrupts(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before
