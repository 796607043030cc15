"""What a local cluster costs: ``up``, then ready for workloads, ``down``, and the memory.

Each run brings a cluster up on free ports with the binaries already cached (as ``up`` does:
preflight included, kubeadm's phases until kubeadm's wait-control-plane is satisfied: that is
"up"), then the fixtures' separate wait ("ready": etcd, /readyz, the ``default`` ServiceAccount,
the signed cluster-info), takes the RSS of every process it started (sum, after ready), and
tears it down. Targets on the 2-core machine: ready in under 8 s, down in under 2 s. Others'
builds load the same CPUs, so the load average before and after is printed with the figures.
Figures are printed, not asserted.

    python bench/bench_bootstrap.py [--runs 3] [--simulated-nodes 0] [--no-preflight]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bootstrap.runtime import process  # noqa: E402
from bootstrap.runtime.cluster import down  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec  # noqa: E402
from bootstrap.runtime.state import StateDir  # noqa: E402
from bootstrap.runtime.workloads import wait_for_workloads  # noqa: E402
from bootstrap.upstream.binaries import ensure_binaries  # noqa: E402


def rss_mb(state: StateDir) -> tuple[float, dict[str, float]]:
    by_component: dict[str, float] = {}
    for record in state.processes():
        if process.is_running(record):
            by_component[record.component] = process.rss_bytes(record) / 2**20
    return sum(by_component.values()), by_component


def one_run(index: int, nodes: int, preflight: bool, work: Path) -> dict[str, float]:
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def log(line: str) -> None:
        if line.startswith("[control-plane-check] kube-apiserver is healthy"):
            marks["apiserver healthy"] = time.perf_counter() - start
        elif line.startswith("[addons] Applied essential addon: kube-proxy"):
            marks["phases done"] = time.perf_counter() - start

    name = f"bench-{os.getpid()}-{index}"
    from nodechecks.run import run as check_node

    spec = ClusterSpec.local(
        name,
        state_dir=work / name,
        simulated_nodes=nodes,
        preflight=check_node if preflight else None,
    )
    config = spec.phase_config
    handle = start(spec, log)
    marks["up"] = time.perf_counter() - start
    assert handle.state_dir is not None
    wait_for_workloads(config, StateDir(handle.state_dir, name), lambda line: None)
    marks["ready"] = time.perf_counter() - start
    marks["rss MB"], parts = rss_mb(StateDir(handle.state_dir, name))
    began = time.perf_counter()
    down(name, state_dir=handle.state_dir, log=lambda line: None)
    marks["down"] = time.perf_counter() - began
    print(
        f"run {index + 1}: "
        + ", ".join(f"{key} {value:.2f}" for key, value in marks.items())
        + "  ("
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(parts.items()))
        + " MB)"
    )
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--simulated-nodes", type=int, default=0)
    parser.add_argument("--no-preflight", action="store_true")
    args = parser.parse_args()

    began = time.perf_counter()
    bin_dir = ensure_binaries()
    print(
        f"binaries: {bin_dir} (cached; their sha256 check takes "
        f"{time.perf_counter() - began:.2f} s, which up overlaps with certs and kubeconfig)"
    )
    print(
        f"cpus: {os.cpu_count()}, load average before: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as work:
        for index in range(args.runs):
            runs.append(one_run(index, args.simulated_nodes, not args.no_preflight, Path(work)))
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for key in runs[0]:
        values = [run[key] for run in runs if key in run]
        unit = "" if key == "rss MB" else " s"
        print(
            f"{key:>18}: median {statistics.median(values):.2f}{unit}, "
            f"min {min(values):.2f}, max {max(values):.2f}"
        )
    ready, stop = (statistics.median(run[k] for run in runs) for k in ("ready", "down"))
    print(
        f"target ready < 8 s: {'met' if ready < 8 else 'NOT met'} ({ready:.2f} s); "
        f"target down < 2 s: {'met' if stop < 2 else 'NOT met'} ({stop:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
