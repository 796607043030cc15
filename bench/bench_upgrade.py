"""What an upgrade with kubeadm costs: each step's wall time and the whole, and what the workload
that must keep answering saw through it.

Run from the repository root as root, with both version sets built::

    python bench/bench_upgrade.py [--control-planes 1] [--workers 2] [--from v1.36.3] [--to v1.37.2]

Each run brings a cluster up at ``--from`` with the real kubeadm of that release, upgrades it to
``--to`` exactly as ``kubeadm-verify upgrade`` does (``bootstrap.kubeadmrun.upgradereport``: the
images, then node by node kubeadm, ``upgrade plan``/``diff``/``apply`` or ``upgrade node``, drain,
the kubelet, uncordon; the workload probed from a pod and from outside throughout), prints every
step's seconds, the total, and the workload's requests made and failed and its longest time
without an answer, then tears the cluster down. The load average is printed before and after:
compare figures taken under like load. Target (issue 18): one control plane and two workers in at
most 4 minutes, no request failed. ``--record docs/upgrade-run.json`` keeps the run for
``docs/upgrading.md`` (``bootstrap.kubeadmrun.upgradedoc``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bootstrap.kubeadmrun import teardown_kubeadm  # noqa: E402
from bootstrap.kubeadmrun.upgradereport import run_upgrade  # noqa: E402
from bootstrap.runtime.bringup import start  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec, default_config  # noqa: E402
from bootstrap.runtime.state import StateDir  # noqa: E402
from kubeadm_verify.interrupts import uninterruptible  # noqa: E402
from kubeadm_verify.pins import KUBERNETES_VERSION, UPGRADE_FROM_VERSION  # noqa: E402
from kubeadm_verify.record import replace  # noqa: E402


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def run_once(
    control_planes: int, workers: int, old: str, new: str, record: Path | None = None
) -> None:
    state = StateDir.for_cluster(f"kvu-bench-{secrets.token_hex(3)}")
    print(f"load before: {_load()}")
    try:
        config = default_config()
        config = replace(config, cluster=replace(config.cluster, kubernetes_version=old))
        spec = ClusterSpec(
            state.name, config, nodes=workers, kubeadm="pinned", control_planes=control_planes
        )
        started = time.monotonic()
        start(spec, log=lambda line: None)
        print(f"  up at {old}: {time.monotonic() - started:.1f} s")
        report = run_upgrade(state.root, new, None, True, lambda line: None)
        for result in report.results:
            print(f"  {result.id:<45} {result.status.value:<5} {result.duration_s:6.1f} s")
            if result.status.value != "pass" or result.id.endswith("kept-answering"):
                print(f"    {result.message}")
        print(f"  upgrade to {new}: {report.duration_s:.1f} s in all")
        if record is not None:
            recorded = {
                "from": old,
                "to": new,
                "machine": f"{os.cpu_count()} cores",
                "started": report.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration_s": round(report.duration_s, 1),
                "checks": [result.as_dict() for result in report.results],
            }
            record.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    finally:
        with uninterruptible():
            teardown_kubeadm(state.root, log=lambda line: None)
            shutil.rmtree(state.root, ignore_errors=True)
    print(f"load after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control-planes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--from", dest="old", default=UPGRADE_FROM_VERSION)
    parser.add_argument("--to", dest="new", default=KUBERNETES_VERSION)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--record", type=Path, default=None, help="write the run here (docs/upgrade-run.json)"
    )
    args = parser.parse_args()
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}: {args.control_planes} + {args.workers}")
        run_once(args.control_planes, args.workers, args.old, args.new, args.record)


if __name__ == "__main__":
    main()
