"""One local cluster for the cluster tier's integration tests, and the CLI as a subprocess.

The cluster is brought up the way ``kubeadm-verify cluster --up`` brings one up (free ports,
two simulated nodes, the default route's address advertised as kubeadm does), and every test
here runs ``python -m kubeadm_verify cluster`` against it as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.runtime.handle import ClusterHandle

REPO = Path(__file__).resolve().parents[3]
CLI_TIMEOUT_S = 600


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    output: Path

    @property
    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.output / "cluster" / "results.json").read_text())
        return data

    def by_status(self, status: str) -> list[str]:
        return [c["id"] for c in self.results["checks"] if c["status"] == status]


def run_cli(
    *args: str, output: Path, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT_S
) -> Run:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environment.pop("KUBEADM_VERIFY_OUTPUT_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", "cluster", *args, "--output-dir", str(output)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=environment,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, output)


@pytest.fixture(scope="session")
def verify_cluster() -> Iterator[ClusterHandle]:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec

    spec = ClusterSpec.local(f"it-conformance-{os.getpid()}", simulated_nodes=2)
    with bring_up(spec, log=lambda line: None) as handle:
        yield handle
