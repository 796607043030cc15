"""A real ``kubeadm-verify binaries --source build``: Go builds, version checks, then the cache.

Slow (minutes on a warm Go build cache, an hour cold): runs only on request or a warm machine,
see ``heavy.py``. The timings are printed (``pytest -s``) and recorded as test properties.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bootstrap.upstream.binaries import version_command, version_problem
from bootstrap.upstream.versions import ALL_BINARIES
from tests.integration.binaries.heavy import go_build_cache, require_build_tests

pytestmark = [pytest.mark.integration, pytest.mark.timeout(7200)]

Recorder = Callable[[str, object], None]


def run_cli(cache: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run the CLI; return its result, wall time and CPU time (user + system)."""
    env = {**os.environ, "GOCACHE": go_build_cache(), "XDG_CACHE_HOME": str(cache)}
    argv = [sys.executable, "-m", "kubeadm_verify", "binaries", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=7200)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def step_times(log: Path) -> dict[str, float]:
    """``### exit 0 after 12.3s: go build kubectl v1.37.2`` lines of the build log."""
    times: dict[str, float] = {}
    for line in log.read_text().splitlines():
        if line.startswith("### exit 0 after "):
            seconds, what = line[len("### exit 0 after ") :].split("s: ", 1)
            times[what] = float(seconds)
    return times


def test_build_checks_versions_then_a_second_run_builds_nothing(
    tmp_path: Path, record_property: Recorder
) -> None:
    require_build_tests()
    first, cold, _ = run_cli(tmp_path, "--source", "build")
    assert first.returncode == 0, first.stderr
    bin_dir = tmp_path / "kubeadm-verify" / "bin" / "v1.37.2"
    assert first.stdout == f"{bin_dir}\n"
    assert "versions checked: Kubernetes v1.37.2, etcd v3.7.0, kwok v0.8.0" in first.stderr
    for name in ALL_BINARIES:
        out = subprocess.run(
            [str(bin_dir / name), *version_command(name)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert version_problem(name, out.stdout + out.stderr, "v1.37.2") is None
    manifest = json.loads((bin_dir / "manifest.json").read_text())
    assert manifest["source"] == "build" and set(manifest["files"]) == set(ALL_BINARIES)
    before = (bin_dir / "manifest.json").stat()

    walls, cpus = [], []
    for _ in range(3):  # the machine is shared: the best of three is the run's own cost
        again, wall, cpu = run_cli(tmp_path, "--source", "build")
        assert again.returncode == 0 and again.stdout == first.stdout
        assert again.stderr == ""  # nothing built, nothing to say
        walls.append(wall)
        cpus.append(cpu)
    after = (bin_dir / "manifest.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    steps = step_times(tmp_path / "kubeadm-verify" / "gobuild" / "v1.37.2" / "build.log")
    figures = {
        "first_run_s": round(cold, 1),
        "cached_run_wall_s": [round(w, 3) for w in walls],
        "cached_run_cpu_s": [round(c, 3) for c in cpus],
        **steps,
    }
    for key, value in figures.items():
        record_property(key, value)
    print(f"\n{figures}")  # the cached run's cost is a figure for bench/, not an assertion
