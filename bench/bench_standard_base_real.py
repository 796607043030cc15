"""What the Standard Base costs on real nodes: the whole tier against ``up --nodes 2``.

Run from the repository root as root, with the binaries, node parts and images cached::

    python bench/bench_standard_base_real.py [--parallel 1 4] [--nodes 2] [--slowest 10]

One cluster is brought up on free ports with a control-plane node and ``--nodes`` workers (as
``kubeadm-verify up --nodes``), the tier runs against it through the CLI once per
``--parallel`` value, and the cluster is torn down. For each run: the wall time, the counts,
the load average before and after (the machine may be shared: compare figures taken under
like load), the slowest tests by their recorded durations (a test that failed is named on
stderr), and where the run's CPU time went (``bench/cpushare.py``: the machine's busy share,
the tool's own processes, each cluster component, the nodes' pods). Figures are printed, not
asserted; the target is 30 s for the whole tier.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import cpushare  # noqa: E402
from bench.verbrun import run_verb  # noqa: E402
from bootstrap.runtime.bringup import bring_up  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec  # noqa: E402


def slowest(report: dict[str, Any], count: int) -> list[tuple[float, str]]:
    """The ``count`` longest tests of a results.json report, longest first."""
    timed = [
        (float(check.get("duration_s") or 0), str(check["id"]))
        for check in report.get("checks", [])
    ]
    return sorted(timed, reverse=True)[:count]


def run_tier(kubeconfig: Path, parallel: int, show: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kv-bench-sb-") as output:
        load = os.getloadavg()[0]
        before = cpushare.sample()
        start = time.perf_counter()
        done = run_verb(
            [
                sys.executable,
                "-m",
                "kubeadm_verify",
                "cluster",
                "--kubeconfig",
                str(kubeconfig),
                "--parallel",
                str(parallel),
                "--output-dir",
                output,
            ],
            cwd=REPO,
            env={**os.environ, "NO_COLOR": "1"},
        )
        elapsed = time.perf_counter() - start
        spent = cpushare.report(before, cpushare.sample())
        results = Path(output) / "cluster" / "results.json"
        report = json.loads(results.read_text()) if results.is_file() else {}
        summary = report.get("summary", {})
        counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("pass", "fail", "skip", "error"))
        print(
            f"--parallel {parallel}: {elapsed:.1f} s [{counts}; exit {done.returncode}] "
            f"(load {load:.1f} before, {os.getloadavg()[0]:.1f} after)"
        )
        for check in report.get("checks", []):
            if check["status"] in ("fail", "error"):
                print(
                    f"  {check['status']}: {check['id']}: {check['message'][:200]}", file=sys.stderr
                )
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:], file=sys.stderr)
        longest = slowest(report, show)
        print("  slowest: " + ", ".join(f"{name} {took:.1f} s" for took, name in longest))
        for line in spent:
            print(f"  {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--slowest", type=int, default=8)
    parser.add_argument("--name", default=f"kvn-bench-sb-{secrets.token_hex(3)}")
    args = parser.parse_args()
    start = time.monotonic()
    with bring_up(ClusterSpec.local(args.name, nodes=args.nodes), log=lambda _: None) as handle:
        print(
            f"up --nodes {args.nodes}: {time.monotonic() - start:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})"
        )
        for parallel in args.parallel:
            run_tier(handle.kubeconfig, parallel, args.slowest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
