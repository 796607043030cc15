"""A SIGTERM that lands in a finalizer while the Standard Base runs in-process still ends the run.

Python runs a signal handler wherever the main thread is, a finalizer included, and an
exception raised there is only reported; ``interrupts.interruptible`` installs an unraisable
hook that raises it again at an ordinary step. pytest's own ``unraisableexception`` plugin
replaces that hook for its whole session, so the in-process runner turns it off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.standard_base.run import PYTEST_ARGS

SIGNAL_IN_A_FINALIZER = """
import gc, os, signal, time


class Sends:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, inside the finalizer


def test_a_signal_lands_in_a_finalizer():
    Sends()
    gc.collect()
    time.sleep(3)  # an interrupt acted on ends the run before this ends


def test_the_run_would_go_on():
    pass
"""
RUN = """
import sys
import pytest
from kubeadm_verify.interrupts import interruptible

with interruptible():
    try:
        code = pytest.main([*sys.argv[2:], sys.argv[1]])
    except KeyboardInterrupt:
        code = 130
print("EXIT", int(code))
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner_args", [PYTEST_ARGS, ("-q", "-p", "no:warnings")])
def test_a_signal_in_a_finalizer_interrupts_the_in_process_run(
    tmp_path: Path, runner_args: tuple[str, ...]
) -> None:
    test_file = tmp_path / "test_finalizer.py"
    test_file.write_text(SIGNAL_IN_A_FINALIZER)
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(test_file), *runner_args, "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=50,
        cwd=tmp_path,
        check=False,
    )
    exit_line = [line for line in done.stdout.splitlines() if line.startswith("EXIT")]
    interrupted = exit_line in (["EXIT 2"], ["EXIT 130"])
    # The runner's own arguments keep the interrupt; pytest's default loses it.
    assert interrupted == (runner_args == PYTEST_ARGS), done.stdout[-2000:] + done.stderr[-1000:]
