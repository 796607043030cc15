"""Run one of the tool's verbs from a benchmark, passing an interrupt on rather than killing it.

``subprocess.run`` answers an interrupt of its caller with SIGKILL to the child, so a verb that
had started ginkgo or pods never cleans up: its ginkgo and e2e.test workers live on as orphans.
Here an interrupt (Ctrl-C, or SIGTERM where the caller turns it into one) reaches the verb as
SIGINT, the verb's own clean-up runs within its bounds, and only a verb that outlives
``CLEANUP_S`` is killed.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

CLEANUP_S = 120.0
"""Longer than any verb's own bounded clean-up (e2e gives ginkgo 60 s after SIGINT)."""


def run_verb(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``argv`` to its end, its output captured as text; the verb is interrupted, not killed,
    when the caller is interrupted or ``timeout_s`` passes."""
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            out, err = child.communicate(timeout=timeout_s)
        except BaseException:
            child.send_signal(signal.SIGINT)
            try:
                child.communicate(timeout=CLEANUP_S)
            except subprocess.TimeoutExpired:
                child.kill()
            raise
        return subprocess.CompletedProcess(child.args, child.returncode, out, err)
