"""Two real processes racing for one cache entry: one produces, the other waits and reuses it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootstrap.upstream.cache import problem

pytestmark = pytest.mark.integration

RACER = """
import sys, time
from pathlib import Path
from bootstrap.upstream.cache import ensure_populated

final, counter, started = (Path(arg) for arg in sys.argv[1:4])

def produce(tmp):
    with counter.open("a") as handle:
        handle.write("produced\\n")
    started.touch()
    time.sleep(2.0)
    (tmp / "tool").write_bytes(b"#!/bin/sh\\n")
    return "build", {"tool": "build"}

print(ensure_populated(final, "v1.37.2", ["tool"], produce))
"""


def start(final: Path, counter: Path, started: Path) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", RACER, str(final), str(counter), str(started)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_concurrent_runs_produce_once_and_never_see_half_a_cache(tmp_path: Path) -> None:
    final, counter, started = tmp_path / "bin" / "v1.37.2", tmp_path / "count", tmp_path / "go"
    first = start(final, counter, started)
    wait_for(started)
    assert not final.exists()  # mid-production: nothing at the final path yet
    second = start(final, counter, tmp_path / "unused")
    outputs = [proc.communicate(timeout=60) for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0]
    assert [out.strip() for out, _ in outputs] == [str(final), str(final)]
    assert counter.read_text() == "produced\n"
    assert "waiting for another run" in outputs[1][1]
    assert problem(final, ["tool"]) is None
    assert sorted(p.name for p in final.parent.iterdir()) == ["v1.37.2", "v1.37.2.lock"]
