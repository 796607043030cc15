"""The whole Standard Base on real nodes (the fixtures' cluster with ``--kv-nodes 2``), through
the CLI with four workers (as fast as it goes on two cores): every test passes and none is
skipped, for want of a real kubelet, DNS or anything else; and the control-plane host is a Node
as ``kubeadm init`` leaves it. Its verdicts are set beside the kubeadm-driven cluster's
(``sidebyside``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client as k8s

from bootstrap.runtime.handle import ClusterHandle
from tests.integration import sidebyside

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def test_control_plane_node_is_labelled_and_tainted(real_cluster: ClusterHandle) -> None:
    api = real_cluster.api_client()
    try:
        nodes = k8s.CoreV1Api(api).list_node().items
    finally:
        api.close()
    marked = [n for n in nodes if CONTROL_PLANE in (n.metadata.labels or {})]
    assert len(marked) == 1, [n.metadata.name for n in marked]
    taints = {(t.key, t.effect) for t in marked[0].spec.taints or []}
    assert (CONTROL_PLANE, "NoSchedule") in taints
    assert len(nodes) == 3
    assert all(c.status == "True" for n in nodes for c in n.status.conditions if c.type == "Ready")


def test_whole_standard_base_passes_with_nothing_skipped(
    real_cluster: ClusterHandle,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "cluster",
            "--kubeconfig",
            str(real_cluster.kubeconfig),
            "--context",
            str(real_cluster.context),
            "--parallel",
            "4",
            "--output-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    took = time.monotonic() - started
    results = json.loads((tmp_path / "cluster" / "results.json").read_text())
    checks = results["checks"]
    not_passed = [
        (c["id"], c["status"], c["message"][:200]) for c in checks if c["status"] != "pass"
    ]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert not not_passed, f"not passed on real nodes: {not_passed}"
    ids = {c["id"] for c in checks}
    assert {
        "network/pod-to-pod-across-nodes",
        "network/nodeport",
        "network/dns-pods",
        "network/dns-resolution",
        "apps/job-completion",
        "node/container-restart",
        "node/memory-limit-enforced",
        "node/logs",
        "node/exec",
        "node/port-forward",
        "node/kubelet-api-refuses-anonymous",
        "node/kubelet-api-refuses-unauthorised",
        "node/exec-and-logs-every-node",
        "node/security-context",
        "node/container-environment",
        "node/command-and-args",
        "node/init-containers",
        "node/lifecycle-hooks",
        "storage/projected-volumes",
        "node/etc-hosts-managed",
    } <= ids
    print(f"Standard Base on real nodes: {len(checks)} pass in {took:.1f}s")
    sidebyside.save_and_compare(tmp_path_factory, request.config, "python", checks)
