"""``cluster`` against a real local cluster: signals mid-run, then its API server killed.

One cluster (real kube-apiserver, etcd, controller-manager, scheduler, two simulated nodes) is
brought up for the module under a ``kvcore-`` name on free ports. The CLI is pointed at it with a
kubeconfig whose client key is inline, so the kubernetes client must write it to a file: that
copy has to be gone when the run ends. SIGTERM (CI's cancel) and SIGINT must delete the run's
labelled namespaces and still write the reports; ``kill -9`` of the API server mid-run must end
in results, one line and exit 1. The kill runs last: the cluster does not survive it.
"""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.runtime.handle import ClusterHandle
from tests.integration.cli.conftest import PREFIX, Cli, assert_outcome, interrupt

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

RUN_LABEL = "kubeadm-verify.io/test-run"
SLOW_FOCUS = "^(apps|api-machinery)/"


@pytest.fixture(scope="module")
def cluster() -> Iterator[ClusterHandle]:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec

    spec = ClusterSpec.local(f"{PREFIX}-{os.getpid()}", simulated_nodes=2)
    with bring_up(spec, log=lambda line: None) as handle:
        yield handle


def _inline(path: Path, base: Path) -> dict[str, Any]:
    """The kubeconfig with every referenced file embedded as ``*-data``, as many CIs ship it."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    for section, body_key, keys in (
        ("clusters", "cluster", ("certificate-authority",)),
        ("users", "user", ("client-certificate", "client-key")),
    ):
        for entry in data.get(section) or []:
            body = entry[body_key]
            for key in keys:
                if key in body:
                    raw = (base / body.pop(key)).read_bytes()
                    body[f"{key}-data"] = base64.b64encode(raw).decode()
    return data


@pytest.fixture
def kubeconfig(cli: Cli, cluster: ClusterHandle) -> Path:
    path = cli.root / "inline.kubeconfig"
    data = _inline(cluster.kubeconfig, cluster.kubeconfig.parent)
    path.write_text(yaml.safe_dump(data))
    path.chmod(0o600)
    return path


def _key_data(kubeconfig: Path) -> str:
    users = yaml.safe_load(kubeconfig.read_text())["users"]
    return str(users[0]["user"]["client-key-data"])


def _labelled_namespaces(cluster: ClusterHandle) -> list[tuple[str, bool]]:
    from kubernetes import client

    api = cluster.api_client()
    try:
        items = client.CoreV1Api(api).list_namespace(label_selector=RUN_LABEL).items
    finally:
        api.close()
    return [(n.metadata.name, n.metadata.deletion_timestamp is not None) for n in items]


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_mid_run_deletes_the_run_namespaces_and_writes_reports(
    cli: Cli, cluster: ClusterHandle, kubeconfig: Path, sig: signal.Signals
) -> None:
    before = {name for name, _ in _labelled_namespaces(cluster)}
    proc = cli.start("cluster", "--kubeconfig", str(kubeconfig), "--focus", SLOW_FOCUS)
    _wait_for(
        lambda: {n for n, _ in _labelled_namespaces(cluster)} - before,
        120,
        "the run's first namespace",
    )
    outcome = interrupt(proc, sig, after=1.0, timeout=120)
    assert_outcome(
        cli,
        outcome,
        code=130,
        says="interrupted",
        tier="cluster",
        secrets=[_key_data(kubeconfig)],
        within=120,
    )
    left = [(n, gone) for n, gone in _labelled_namespaces(cluster) if n not in before]
    assert all(terminating for _, terminating in left), left
    _wait_for(
        lambda: not [n for n, _ in _labelled_namespaces(cluster) if n not in before],
        90,
        "the run's namespaces to go",
    )


def _apiserver_pid(cluster: ClusterHandle) -> int:
    from bootstrap.runtime.state import StateDir

    assert cluster.state_dir is not None
    records = StateDir.for_cluster(cluster.name, cluster.state_dir).processes()
    return next(r.pid for r in records if r.component == "kube-apiserver")


def test_the_api_server_killed_mid_run_ends_in_results_and_one_line(
    cli: Cli, cluster: ClusterHandle, kubeconfig: Path
) -> None:
    proc = cli.start("cluster", "--kubeconfig", str(kubeconfig))
    time.sleep(15)
    os.kill(_apiserver_pid(cluster), signal.SIGKILL)
    killed = time.monotonic()
    stdout, stderr = proc.communicate(timeout=300)
    assert time.monotonic() - killed < 60, "the run dragged on after its cluster was gone"
    assert proc.returncode == 1, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "lost the cluster" in lines[0], stderr
    assert "Traceback" not in stdout + stderr and "urllib3" not in stderr
    checks = cli.results("cluster")["checks"]
    statuses = {c["status"] for c in checks}
    assert {"error"} & statuses or {"fail"} & statuses
    assert _key_data(kubeconfig) not in cli.report_text("cluster") + stdout + stderr
    assert list(cli.tmp.iterdir()) == []
