"""``kubeadm-verify cluster`` run as a user runs it against a kubeadm-driven cluster: a subprocess
with the cluster's ``admin.conf``, four workers, JSON reports; its exit, its wall time, and the
checks of its ``results.json``, by status."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_WHERE_THE_SUITE_RUNS = "the control plane does not run where the suite runs"
"""A skip run from the host gives: the control plane's local ports are inside the node, which
the control-plane port checks cannot look into from the host."""
ONE_WORKER = "node(s) meant for workloads"
"""A skip the HA cluster (3 + 1) gives: one worker is fewer than the two nodes for workloads
upstream's conformance run asks for (``scheduling/two-schedulable-nodes``)."""
OLDER_RELEASE = "conformance set has no such test"
"""A skip a cluster at the previous minor gives: a behaviour its release does not serve yet."""
KINDS_OF_CLUSTER = (NOT_WHERE_THE_SUITE_RUNS, ONE_WORKER, OLDER_RELEASE)


def for_its_kind(check: dict[str, Any]) -> bool:
    """A skip that says what kind of cluster this is, never how healthy it is."""
    return any(reason in check["message"] for reason in KINDS_OF_CLUSTER)


RUN_TIMEOUT_S = 540.0


@dataclass(frozen=True)
class Ran:
    code: int
    stderr: str
    wall_s: float
    checks: list[dict[str, Any]]

    def ids(self, status: str) -> list[str]:
        return [check["id"] for check in self.checks if check["status"] == status]

    def assert_passed(self) -> None:
        """Exit 0, nothing failed or errored, nothing skipped but for the kind of cluster."""
        by_status: dict[str, list[str]] = {}
        for check in self.checks:
            by_status.setdefault(check["status"], []).append(check["id"])
        failed = [c for c in self.checks if c["status"] in ("fail", "error")]
        assert self.code == 0 and not failed, (self.code, failed, self.stderr[-2000:])
        skipped = [c for c in self.checks if c["status"] == "skip"]
        assert all(for_its_kind(c) for c in skipped), skipped
        assert len(by_status.get("pass", [])) >= 150, len(by_status.get("pass", []))


def run_cluster(
    admin_conf: Path, output_dir: Path, timeout: float = RUN_TIMEOUT_S, *more: str
) -> Ran:
    """The run, with ``more`` flags after the usual ones (``--allowed-not-ready-nodes 1``)."""
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "cluster",
            "--kubeconfig",
            str(admin_conf),
            "--parallel",
            "4",
            "--format",
            "json",
            "--output-dir",
            str(output_dir),
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.monotonic() - started
    results = output_dir / "cluster" / "results.json"
    checks = json.loads(results.read_text())["checks"] if results.exists() else []
    return Ran(done.returncode, done.stderr, wall, checks)
