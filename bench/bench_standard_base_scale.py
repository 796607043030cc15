"""What a large cluster costs: ``up`` and the Standard Base against 10, 300 and 1,000 simulated
nodes, wall time and the tool's peak memory.

Run from the repository root, with the v1.37.2 binaries already cached
(``kubeadm-verify binaries``)::

    python bench/bench_standard_base_scale.py [--nodes 10,300,1000] [--parallel N]

For each count, ``kubeadm-verify up --free-ports --simulated-nodes N`` brings a cluster up (its
wall time, its peak RSS, and its own line saying how many nodes were Ready), then
``kubeadm-verify cluster --kubeconfig ...`` runs the whole tier against it (wall time, the
tool's peak RSS, the counts, the slowest tests), then ``down``. Peak RSS is the kernel's
``ru_maxrss`` of that one process (``wait4``): the tool alone, not the cluster it talks to; with
``--parallel`` the xdist workers are other processes, not counted. The load
average is printed with each figure: the machine is shared. Figures are printed, not asserted
(targets: the tier within 30 s and 100 MB against 1,000 nodes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI_TIMEOUT_S = 900
WATCHED = (
    "apps/daemonset-placement",
    "node/all-nodes-ready",
    "scheduling/resource-fit",
    "scheduling/node-affinity",
)
"""Tests whose cost grows with the node count unless they read nodes sparingly."""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


def measure(*args: str, timeout: float = CLI_TIMEOUT_S) -> Measured:
    """Run ``python -m kubeadm_verify ARGS``; its wall time and its own peak RSS (``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "kubeadm_verify", *args],
            cwd=REPO,
            stdout=out,
            stderr=err,
            env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)},
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return Measured(
            wall,
            usage.ru_maxrss / 1024,
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def tier(kubeconfig: str, context: str, parallel: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kv-bench-scale-") as output:
        extra = ["--parallel", str(parallel)] if parallel > 1 else []
        run = measure(
            "cluster",
            "--kubeconfig",
            kubeconfig,
            "--context",
            context,
            *extra,
            "--output-dir",
            output,
        )
        results = Path(output) / "cluster" / "results.json"
        report = json.loads(results.read_text()) if results.is_file() else {}
    summary = report.get("summary", {})
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("pass", "fail", "skip", "error"))
    print(
        f"  tier{' --parallel ' + str(parallel) if parallel > 1 else ''}: "
        f"{run.wall_s:6.1f} s, peak RSS {run.peak_mb:6.1f} MB [{counts}; exit {run.code}] "
        f"(load {load()})"
    )
    checks = report.get("checks", [])
    for check in checks:
        if check["status"] in ("fail", "error"):
            print(f"    {check['status']}: {check['id']}: {check['message'][:200]}")
    slowest = sorted(checks, key=lambda c: -float(c.get("duration_s") or 0))[:5]
    print(
        "    slowest: "
        + ", ".join(f"{c['id']} {float(c.get('duration_s') or 0):.1f} s" for c in slowest)
    )
    watched = [c for c in checks if c["id"] in WATCHED]
    print(
        "    node-bound: "
        + ", ".join(f"{c['id']} {float(c.get('duration_s') or 0):.1f} s" for c in watched)
    )
    if run.code not in (0, 1):
        print(run.stderr[-2000:])


def one(count: int, parallel: int) -> None:
    name = f"jd-bench-{count}-{os.getpid()}"
    print(f"{count} simulated nodes (load {load()})")
    up = measure("up", "--name", name, "--free-ports", "--simulated-nodes", str(count))
    try:
        said = [
            line.replace("[kubeadm-verify] ", "").strip()
            for line in up.stderr.splitlines()
            if "simulated node(s)" in line
        ]
        print(
            f"  up: {up.wall_s:6.1f} s, peak RSS {up.peak_mb:6.1f} MB, exit {up.code} "
            f"(load {load()}); {'; '.join(said) if said else up.stderr[-500:]}"
        )
        if up.code != 0:
            return
        kubeconfig = up.stdout.strip().splitlines()[-1]
        context = ""
        for line in Path(kubeconfig).read_text().splitlines():
            if line.startswith("current-context:"):
                context = line.split(":", 1)[1].strip()
        tier(kubeconfig, context, parallel)
    finally:
        down = measure("down", "--name", name, timeout=120)
        print(f"  down: {down.wall_s:5.1f} s, exit {down.code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--nodes",
        default="10,300,1000",
        help="comma-separated simulated node counts (default 10,300,1000)",
    )
    parser.add_argument("--parallel", type=int, default=1, help="xdist workers for the tier")
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs")
    for count in (int(part) for part in options.nodes.split(",")):
        one(count, options.parallel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
