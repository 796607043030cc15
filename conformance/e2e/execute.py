"""Run ginkgo with its output in ``e2e.log``, and stop it cleanly when we must.

ginkgo starts in its own session, so the process group we signal holds exactly what we started
(ginkgo and its e2e.test workers) and a terminal's Ctrl-C reaches only us; we then pass SIGINT
on, which is what lets the e2e framework delete its namespaces, and wait a bounded grace period
before SIGKILL. ``--timeout`` is ginkgo's own deadline; ours, a little later, is only for a
ginkgo that does not honour it. SIGTERM is handled as an interrupt for the same clean-up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from conformance.e2e.completeness import Exit

INTERRUPT_GRACE_S = 60.0
DEADLINE_GRACE_S = 300.0
POLL_S = 0.5


def run_logged(
    argv: Sequence[str],
    log_path: Path,
    cwd: Path,
    timeout_s: float,
    *,
    deadline_grace_s: float = DEADLINE_GRACE_S,
    interrupt_grace_s: float = INTERRUPT_GRACE_S,
) -> Exit:
    """Run ``argv`` to its end (or our deadline), stdout and stderr into ``log_path``."""
    deadline = time.monotonic() + timeout_s + deadline_grace_s
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            while True:
                try:
                    return Exit(proc.wait(timeout=POLL_S))
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        code = stop(proc, interrupt_grace_s)
                        return Exit(code, "ginkgo outlived --timeout and was stopped")
        except BaseException:
            stop(proc, interrupt_grace_s)
            raise


def stop(proc: subprocess.Popen[bytes], grace_s: float) -> int:
    """SIGINT the process group we started, then SIGKILL it if the grace period runs out."""
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGKILL, 10.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)
    _reap_group(proc.pid)
    return proc.wait()


def _reap_group(pgid: int) -> None:
    """Workers left in our group after ginkgo itself exited get SIGKILL too."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
