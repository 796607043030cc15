"""What a cluster brought up by the real kubeadm binary costs: to every node Ready, to kube-proxy
and CoreDNS answering on each, memory per node, and the teardown.

Run from the repository root as root, with the binaries, node parts and images cached::

    python bench/bench_kubeadm.py [--control-planes 1] [--workers 2] [--runs 1] [--kubeadm PATH]

Each run brings a cluster up with the real kubeadm through the one bring-up
(``bootstrap.runtime.bringup.start``: ``kubeadm init``, ``kubeadm join``; several control planes
behind haproxy), prints its milestones (seconds from the start: init done, every join done, every
node Ready, kube-proxy and CoreDNS answering from every node, every image loaded), the resident
memory of every process in each node's cgroups (its kubelet, containerd, shims and pods: the
control plane's static pods included), then tears it down and prints how long that took. The load
average is printed before and after each run: the machine may be shared, so compare figures taken
under like load. Targets (issue 17): one control plane and two workers at most 30 s, three control
planes and a worker at most 90 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bootstrap.kubeadmrun import teardown_kubeadm  # noqa: E402
from bootstrap.runtime.bringup import start  # noqa: E402
from bootstrap.runtime.nodes import cgroups  # noqa: E402
from bootstrap.runtime.nodes.record import load  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec, default_config  # noqa: E402
from bootstrap.runtime.state import StateDir  # noqa: E402
from kubeadm_verify.interrupts import uninterruptible  # noqa: E402


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _memory(state: StateDir) -> dict[str, float]:
    """MiB resident per node: every process in the node's cgroups."""
    found = load(state)
    sizes: dict[str, float] = {}
    for entry in found.nodes if found else []:
        total = 0
        for pid in cgroups.pids(entry.cgroup_root):
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
        role = "control plane" if entry.control_plane else "worker"
        sizes[f"{entry.name} ({role})"] = total / 2**20
    return sizes


def run_once(control_planes: int, workers: int, kubeadm: Path | None) -> None:
    state = StateDir.for_cluster(f"kvc-bench-{secrets.token_hex(3)}")
    print(f"load before: {_load()}")
    try:
        spec = ClusterSpec(
            state.name,
            default_config(),
            nodes=workers,
            kubeadm=str(kubeadm) if kubeadm else "pinned",
            control_planes=control_planes,
        )
        cluster = start(spec, log=print).kubeadm
        assert cluster is not None
        for name, seconds in cluster.timings.items():
            print(f"  {name:>7}: {seconds:6.1f} s")
        for node, mib in _memory(state).items():
            print(f"  {node}: {mib:.0f} MiB resident")
    finally:
        with uninterruptible():
            started = time.monotonic()
            teardown_kubeadm(state.root, log=print)
            print(f"  teardown: {time.monotonic() - started:.1f} s")
            shutil.rmtree(state.root, ignore_errors=True)
    print(f"load after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control-planes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--kubeadm", type=Path, default=None)
    args = parser.parse_args()
    for run in range(args.runs):
        print(
            f"run {run + 1}/{args.runs}: {args.control_planes} control plane(s), "
            f"{args.workers} worker(s)"
        )
        run_once(args.control_planes, args.workers, args.kubeadm)


if __name__ == "__main__":
    main()
