"""What the cluster tier costs: wall time of the whole Standard Base against a local cluster.

Run from the repository root, with the v1.37.2 binaries already cached
(``kubeadm-verify binaries``)::

    python bench/bench_cluster.py [--repeat N]

One local cluster (two simulated nodes, as ``cluster --up``) is brought up once; the tier then
runs against it through the CLI, serially and with ``--parallel 2``, ``N`` times each, and once
more end to end with ``--up`` (bring-up and teardown included). The figures are printed, not
asserted: the target is under 60 s for the whole tier on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.verbrun import run_verb  # noqa: E402


def run_cli(*args: str) -> tuple[float, dict[str, int], int]:
    """Wall time, summary counts and exit code of one ``kubeadm-verify cluster`` run
    (a test that failed is named on stderr: a benchmark must not hide a flake)."""
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as output:
        start = time.perf_counter()
        done = run_verb(
            [sys.executable, "-m", "kubeadm_verify", "cluster", *args, "--output-dir", output],
            cwd=REPO,
            env={**os.environ, "NO_COLOR": "1"},
        )
        elapsed = time.perf_counter() - start
        results = Path(output) / "cluster" / "results.json"
        report = json.loads(results.read_text()) if results.is_file() else {}
        summary = report.get("summary", {})
        for check in report.get("checks", []):
            if check["status"] in ("fail", "error"):
                print(
                    f"  {check['status']}: {check['id']}: {check['message'][:200]}", file=sys.stderr
                )
    if done.returncode not in (0, 1):
        print(done.stderr, file=sys.stderr)
    return elapsed, summary, done.returncode


def describe(label: str, times: list[float], summary: dict[str, int], code: int) -> str:
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("pass", "fail", "skip", "error"))
    spread = f"min {min(times):.1f} s, max {max(times):.1f} s" if len(times) > 1 else ""
    return f"{label:<28} {statistics.median(times):6.1f} s  {spread:<26} [{counts}; exit {code}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each mode (default 2)")
    options = parser.parse_args()

    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec
    from conformance.standard_base.listing import collect

    tests = len(collect())
    print(f"kubeadm-verify cluster: {tests} tests, {os.cpu_count()} CPUs")
    start = time.perf_counter()
    spec = ClusterSpec.local(f"bench-{os.getpid()}", simulated_nodes=2)
    with bring_up(spec, log=lambda line: None) as handle:
        print(f"{'local cluster up':<28} {time.perf_counter() - start:6.1f} s")
        target = ["--kubeconfig", str(handle.kubeconfig), "--context", str(handle.context)]
        for label, extra in (("serial", []), ("--parallel 2", ["--parallel", "2"])):
            runs = [run_cli(*target, *extra) for _ in range(options.repeat)]
            print(describe(f"whole tier, {label}", [r[0] for r in runs], runs[-1][1], runs[-1][2]))
    elapsed, summary, code = run_cli("--up")
    print(describe("--up (bring-up to teardown)", [elapsed], summary, code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
