"""Two real processes racing for one cache entry: one produces, the other waits and reuses it.

The producer holds its entry until the test has seen the other process say it is waiting, so
the race is the same however slowly a loaded machine starts the second interpreter."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bootstrap.upstream.cache import problem

pytestmark = pytest.mark.integration

RACER = """
import sys, time
from pathlib import Path
from bootstrap.upstream.cache import ensure_populated

final, counter, started, release = (Path(arg) for arg in sys.argv[1:5])

def produce(tmp):
    with counter.open("a") as handle:
        handle.write("produced\\n")
    started.touch()
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    (tmp / "tool").write_bytes(b"#!/bin/sh\\n")
    return "build", {"tool": "build"}

print(ensure_populated(final, "v1.37.2", ["tool"], produce))
"""


def start(final: Path, counter: Path, started: Path, folder: Path) -> subprocess.Popen[str]:
    """A racer whose stderr goes to ``<started>.err``, so the test can watch it while it runs."""
    argv = [sys.executable, "-c", RACER, str(final), str(counter), str(started), str(folder / "go")]
    with started.with_suffix(".err").open("w") as err:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)


def wait_for(done: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.02)


def test_concurrent_runs_produce_once_and_never_see_half_a_cache(tmp_path: Path) -> None:
    final, counter = tmp_path / "bin" / "v1.37.2", tmp_path / "count"
    started, unused = tmp_path / "first", tmp_path / "second"
    first = start(final, counter, started, tmp_path)
    wait_for(started.exists, "the first run's production")
    assert not final.exists()  # mid-production: nothing at the final path yet
    second = start(final, counter, unused, tmp_path)
    waiting = unused.with_suffix(".err")
    wait_for(lambda: "waiting for another run" in waiting.read_text(), "the second run's wait")
    (tmp_path / "go").touch()  # only now may the first finish
    outputs = [proc.communicate(timeout=60) for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0], waiting.read_text()
    assert [out.strip() for out, _ in outputs] == [str(final), str(final)]
    assert counter.read_text() == "produced\n"
    assert not unused.exists()  # the second never produced
    assert problem(final, ["tool"]) is None
    assert sorted(p.name for p in final.parent.iterdir()) == ["v1.37.2", "v1.37.2.lock"]
