"""``--config`` that is not a small regular file: one line, exit 2, nothing hangs or is left.

Run as the CLI in a subprocess, with a real FIFO (nobody ever writes to it) and a 60 MB file
(sparse: refusing it must not need reading it), under a wall-time bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BOUND = 20.0


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", *args],
        capture_output=True,
        text=True,
        timeout=BOUND * 2,
        check=False,
    )
    return done, time.monotonic() - start


def make_fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    return fifo


def make_huge(tmp_path: Path) -> Path:
    huge = tmp_path / "config.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    return huge


@pytest.mark.parametrize(
    ("make", "reason"), [(make_fifo, "not a regular file"), (make_huge, "larger than")]
)
@pytest.mark.parametrize("verb", ["up", "phase"])
def test_a_config_that_is_not_a_small_regular_file_is_one_clear_error(
    tmp_path: Path, make: object, reason: str, verb: str
) -> None:
    config = make(tmp_path)  # type: ignore[operator]
    state = tmp_path / "state"
    argv = [verb, "--name", "kvboot-input", "--state-dir", str(state), "--config", str(config)]
    if verb == "phase":
        argv.insert(1, "certs/ca")
    done, took = run_cli(*argv)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], done.stderr
    assert took < BOUND
    assert not state.exists()
