"""Never cries wolf: the Standard Base and the e2e standard-base mode, run after run, against one
healthy real-node cluster, counting every run that reported a failure.

Run from the repository root as root, with the binaries, node parts, images and the e2e test
package cached::

    python bench/bench_no_false_failures.py [--runs 20] [--nodes 2] [--parallel 4] [--load]

One cluster is brought up on free ports (``up --nodes``: a control-plane node and ``--nodes``
workers) and left healthy; then ``--runs`` times, in turn, ``kubeadm-verify cluster`` and
``kubeadm-verify e2e --mode standard-base`` run against it through the CLI. On a healthy cluster
every failure is a false one: each is printed with the test and its message. With ``--load`` a
second real-node cluster is brought up beside it and its own Standard Base runs in a loop for the
whole time, as on a shared CI runner. Figures are printed, not asserted; the target is 0 false
failures in 20 runs of each, alone and under load.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.verbrun import run_verb  # noqa: E402
from bootstrap.runtime.bringup import bring_up  # noqa: E402
from bootstrap.runtime.handle import ClusterHandle  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec  # noqa: E402
from bootstrap.upstream.testpkg import e2e_test_package_cached  # noqa: E402

RUN_TIMEOUT_S = 30 * 60


@dataclass
class Tally:
    """What one kind of run gave: runs, runs with a failure, the failing ids, the wall times."""

    runs: int = 0
    failed_runs: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)

    def line(self, name: str) -> str:
        times = sorted(self.seconds)
        median = times[len(times) // 2] if times else 0.0
        worst = times[-1] if times else 0.0
        return (
            f"{name}: {self.failed_runs} of {self.runs} runs with a false failure; "
            f"median {median:.1f} s, slowest {worst:.1f} s"
        )


def verb(argv: list[str], kubeconfig: Path) -> tuple[int, float, list[tuple[str, str]]]:
    """One CLI run: its exit code, its wall time and the (id, message) of each fail or error."""
    with tempfile.TemporaryDirectory(prefix="kv-bench-wolf-") as output:
        start = time.perf_counter()
        done = run_verb(
            [
                sys.executable,
                "-m",
                "kubeadm_verify",
                *argv,
                "--kubeconfig",
                str(kubeconfig),
                "--output-dir",
                output,
            ],
            cwd=REPO,
            timeout_s=RUN_TIMEOUT_S,
            env={**os.environ, "NO_COLOR": "1"},
        )
        elapsed = time.perf_counter() - start
        tier = argv[0]
        results = Path(output) / tier / "results.json"
        checks = json.loads(results.read_text())["checks"] if results.is_file() else []
        bad = [
            (str(c["id"]), str(c.get("message", ""))[:200])
            for c in checks
            if c["status"] in ("fail", "error")
        ]
        if done.returncode not in (0, 1) or (done.returncode == 1 and not bad):
            bad.append((f"{tier}/exit-{done.returncode}", done.stderr.strip()[-200:]))
        return done.returncode, elapsed, bad


def e2e_argv() -> list[str]:
    package = e2e_test_package_cached()
    if package is None:
        raise SystemExit("no e2e test package cached: run the test suite once to build it")
    sha256 = package.with_name(package.name + ".sha256").read_text().strip()
    return [
        "e2e",
        "--mode",
        "standard-base",
        "--test-package",
        str(package),
        "--test-package-sha256",
        sha256,
        "--timeout",
        "20m",
    ]


@contextmanager
def cluster(name: str, nodes: int) -> Iterator[ClusterHandle]:
    start = time.monotonic()
    with bring_up(ClusterSpec.local(name, nodes=nodes), log=lambda _: None) as handle:
        print(f"{name}: up --nodes {nodes} in {time.monotonic() - start:.1f} s", flush=True)
        yield handle


def load_loop(handle: ClusterHandle, parallel: int, stop: threading.Event, tally: Tally) -> None:
    """Another cluster's Standard Base, again and again, until told to stop."""
    while not stop.is_set():
        _, elapsed, bad = verb(["cluster", "--parallel", str(parallel)], handle.kubeconfig)
        tally.runs += 1
        tally.seconds.append(elapsed)
        tally.failed_runs += bool(bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument(
        "--load",
        action="store_true",
        help="run another cluster's Standard Base in a loop beside it",
    )
    parser.add_argument("--no-e2e", action="store_true", help="the Standard Base alone")
    args = parser.parse_args()
    tier, e2e, background = Tally(), Tally(), Tally()
    stop = threading.Event()
    suffix = secrets.token_hex(3)
    with cluster(f"kvn-wolf-{suffix}", args.nodes) as handle:
        loader = None
        with cluster(f"kvn-wolfload-{suffix}", args.nodes) if args.load else _nothing() as other:
            if other is not None:
                loader = threading.Thread(
                    target=load_loop, daemon=True, args=(other, args.parallel, stop, background)
                )
                loader.start()
            try:
                for run in range(1, args.runs + 1):
                    kinds = [("cluster", ["cluster", "--parallel", str(args.parallel)], tier)]
                    if not args.no_e2e:
                        kinds.append(("e2e", e2e_argv(), e2e))
                    for name, argv, tally in kinds:
                        load = os.getloadavg()[0]
                        code, elapsed, bad = verb(argv, handle.kubeconfig)
                        tally.runs += 1
                        tally.seconds.append(elapsed)
                        tally.failed_runs += bool(bad)
                        tally.failures.update(test for test, _ in bad)
                        print(
                            f"run {run} {name}: exit {code}, {elapsed:.1f} s, load {load:.1f}",
                            flush=True,
                        )
                        for test, message in bad:
                            print(f"  false failure: {test}: {message}", flush=True)
            finally:
                stop.set()
                if loader is not None:
                    loader.join(timeout=RUN_TIMEOUT_S)
    print(tier.line("Standard Base"))
    if not args.no_e2e:
        print(e2e.line("e2e standard-base"))
    if args.load:
        print(background.line("load: the other cluster's Standard Base"))
    for test, count in (tier.failures + e2e.failures).most_common():
        print(f"  {test}: failed in {count} runs")
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    raise SystemExit(main())
