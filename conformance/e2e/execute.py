"""Run ginkgo with its output in ``e2e.log``, and stop it cleanly when we must.

ginkgo runs through the project's one supervisor (``bootstrap.runtime.process.run``): started in
its own session, so the process group we signal holds exactly what we started (ginkgo and its
e2e.test workers) and a terminal's Ctrl-C reaches only us; we then pass SIGINT on, which is what
lets the e2e framework delete its namespaces, and wait a bounded grace period before SIGKILL.
Workers still in the group once ginkgo has ended get SIGKILL too. ``--timeout`` is ginkgo's own
deadline; ours, a little later, is only for a ginkgo that does not honour it. SIGTERM is handled
as an interrupt for the same clean-up.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path

from bootstrap.runtime import process
from conformance.e2e.completeness import Exit

INTERRUPT_GRACE_S = 60.0
DEADLINE_GRACE_S = 300.0
KILL_WAIT_S = 10.0


def run_logged(
    argv: Sequence[str],
    log_path: Path,
    cwd: Path,
    timeout_s: float,
    *,
    deadline_grace_s: float = DEADLINE_GRACE_S,
    interrupt_grace_s: float = INTERRUPT_GRACE_S,
) -> Exit:
    """Run ``argv`` in ``cwd`` to its end (or our deadline), stdout and stderr into
    ``log_path``."""
    ended = process.run(
        "ginkgo",
        argv,
        log_path,
        timeout_s=timeout_s + deadline_grace_s,
        cwd=cwd,
        first=signal.SIGINT,
        grace_s=interrupt_grace_s,
        kill_timeout=KILL_WAIT_S,
    )
    if ended.timed_out:
        return Exit(ended.code, "ginkgo outlived --timeout and was stopped")
    return Exit(ended.code)
