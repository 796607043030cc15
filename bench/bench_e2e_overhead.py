"""What ``kubeadm-verify e2e`` costs around e2e.test itself, measured with the fake binaries.

The suite's own run time is upstream's business; ours is everything else: starting Python,
checking the cached binaries, listing specs, planning, the progress listener, parsing a JUnit file
the size of a real one (about 7,600 cases, most of them not selected), and writing the reports.
The fake ``ginkgo``/``e2e.test`` are shell scripts that answer at once, so a warm end-to-end run
is almost pure overhead. Target: under 2 s warm. Figures are printed, not asserted.

    python bench/bench_e2e_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402

from bench.verbrun import run_verb  # noqa: E402
from conformance.e2e.cache import ensure_binaries  # noqa: E402
from conformance.e2e.codenames import load  # noqa: E402
from conformance.e2e.completeness import Exit  # noqa: E402
from conformance.e2e.fetch import PackageSource  # noqa: E402
from conformance.e2e.modes import STANDARD_BASE, mode_named, plan  # noqa: E402
from conformance.e2e.progress import ProgressListener  # noqa: E402
from conformance.e2e.verdict import judge_run  # noqa: E402
from tests.integration.e2e.fakes import (  # noqa: E402
    Scenario,
    Spec,
    build_tarball,
    console_log,
    junit_xml,
    sha256_hex,
)
from tests.integration.e2e.mirror import Mirror, publish, serve  # noqa: E402

VERSION = "v1.37.2"
TARGET_S = 2.0
T = TypeVar("T")


def realistic_scenario() -> Scenario:
    """26 selected specs among 7,600, as a standard-base run against a real e2e.test."""
    selected = tuple(Spec(name) for name in STANDARD_BASE)
    others = tuple(Spec(f"[sig-bench] filler spec number {i}", "not-selected") for i in range(7574))
    return Scenario(specs=selected + others, listing=STANDARD_BASE)


def timed(label: str, action: Callable[[], T], figures: dict[str, float]) -> T:
    start = time.perf_counter()
    result = action()
    figures[label] = time.perf_counter() - start
    return result


def cli(root: Path, mirror_url: str) -> float:
    """One complete CLI run as a user starts it; returns its wall time."""
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(root / "cache"),
        "PYTHONPATH": str(REPO),
        "NO_COLOR": "1",
    }
    argv = [
        sys.executable,
        "-m",
        "kubeadm_verify",
        "e2e",
        "--mirror",
        mirror_url,
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(root / "kubeconfig"),
        "--mode",
        "standard-base",
        "--output-dir",
        str(root / "reports"),
        "--format",
        "json",
    ]
    start = time.perf_counter()
    done = run_verb(argv, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the benchmark run failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def stages(root: Path, mirror_url: str, scenario: Scenario) -> dict[str, float]:
    """The in-process stages of a warm run, each timed on its own."""
    figures: dict[str, float] = {}
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    quiet = Console(file=io.StringIO())
    source = PackageSource(VERSION, "amd64", mirror=mirror_url)
    binaries = timed("cache hit (verify binaries)", lambda: ensure_binaries(source, quiet), figures)
    listing = timed("read the cached spec list", binaries.listing, figures)
    timed(
        "plan standard-base",
        lambda: plan(mode_named("standard-base"), listing, None, None),
        figures,
    )

    def listener_cycle() -> None:
        with ProgressListener(quiet):
            pass

    timed("progress listener start+stop", listener_cycle, figures)
    junit, log = root / "junit_01.xml", root / "e2e.log"
    junit.write_text(junit_xml(scenario))
    log.write_text(console_log(scenario))
    results = timed(
        "parse junit_01.xml (7,600 cases) + judge",
        lambda: judge_run(junit, log, Exit(0), load(VERSION)),
        figures,
    )
    assert len(results) == len(STANDARD_BASE), results[-1]
    figures["junit_01.xml size (MB)"] = junit.stat().st_size / 1e6
    return figures


def real_package() -> Path | None:
    """The real test package bootstrap.upstream.testpkg built, if it is in the user's cache."""
    try:
        from bootstrap.upstream.testpkg import e2e_test_package_cached
    except ImportError:
        return None
    return e2e_test_package_cached(VERSION)


def real_cache_hit(root: Path, package: Path) -> float:
    """The one stage that grows with the real binaries (136 MB to hash)."""
    os.environ["XDG_CACHE_HOME"] = str(root / "real-cache")
    quiet = Console(file=io.StringIO())
    source = PackageSource.local(VERSION, "amd64", package, None)
    ensure_binaries(source, quiet)  # the first time extracts and lists; not what is measured
    start = time.perf_counter()
    ensure_binaries(source, quiet)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    scenario = realistic_scenario()
    package = real_package()  # looked up before XDG_CACHE_HOME points at the scratch cache
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp, serve(Mirror()) as mirror:
        root = Path(tmp)
        (root / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
        tarball = build_tarball(scenario, root / "ran.log")
        publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball))
        first = cli(root, mirror.url)
        warm = [cli(root, mirror.url) for _ in range(runs)]
        breakdown = stages(root, mirror.url, scenario)
        real = real_cache_hit(root, package) if package is not None else None
    print(f"e2e tier overhead with fake binaries ({runs} warm runs, {os.cpu_count()} CPUs)")
    print(f"  first run (download {len(tarball) / 1e3:.0f} kB, verify, extract): {first:6.3f} s")
    print(
        f"  warm run, whole CLI: median {statistics.median(warm):6.3f} s, "
        f"min {min(warm):.3f} s, max {max(warm):.3f} s"
    )
    for label, value in breakdown.items():
        unit = "" if "MB" in label else " s"
        print(f"    {label:<45} {value:8.3f}{unit}")
    if real is not None:
        print(f"  real binaries' cache hit (136 MB hashed): {real:6.3f} s (add to a warm run)")
    verdict = "within" if statistics.median(warm) < TARGET_S else "OVER"
    print(f"  {verdict} the {TARGET_S:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
