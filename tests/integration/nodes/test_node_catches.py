"""What the Standard Base catches on real nodes: a cluster broken on purpose in the DNS and
network layers fails the tests that look there and passes one that does not.

One real-node cluster from the fixtures, broken step by step (the last break is not undone:
the cluster goes at the end). Each row is written to ``conformance/CATCHES-NODES.md`` from the
run itself, so the table says what was seen, not what was hoped.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from bootstrap.fixtures import free_port_config, running_cluster
from bootstrap.runtime.handle import ClusterHandle

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
TABLE = REPO / "conformance" / "CATCHES-NODES.md"
ROWS: list[str] = []


@pytest.fixture(scope="module")
def broken() -> Iterator[ClusterHandle]:
    with running_cluster(f"kvr-catch-{secrets.token_hex(3)}", free_port_config(None),
                         nodes=2) as handle:
        yield handle
    _write_table()


def _statuses(handle: ClusterHandle, focus: str, out: Path) -> dict[str, str]:
    subprocess.run([sys.executable, "-m", "kubeadm_verify", "cluster", "--kubeconfig",
                    str(handle.kubeconfig), "--context", str(handle.context), "--focus", focus,
                    "--output-dir", str(out)], cwd=REPO, capture_output=True, text=True,
                   timeout=600, check=False)
    checks = json.loads((out / "cluster" / "results.json").read_text())["checks"]
    return {c["id"]: c["status"] for c in checks}


def _catch(handle: ClusterHandle, fault: str, break_it: Callable[[Any], None],
           expect_fail: list[str], expect_pass: list[str], out: Path) -> None:
    api = handle.api_client()
    try:
        break_it(api)
    finally:
        api.close()
    got = _statuses(handle, "|".join(expect_fail + expect_pass), out)
    ROWS.append(f"| {fault} | " + ", ".join(f"`{t}` {got.get(t)}" for t in expect_fail)
                + " | " + ", ".join(f"`{t}` {got.get(t)}" for t in expect_pass) + " |")
    assert all(got.get(t) == "fail" for t in expect_fail), got
    assert all(got.get(t) == "pass" for t in expect_pass), got


def _no_dns_endpoints(api: Any) -> None:
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    apps.patch_namespaced_deployment_scale("coredns", "kube-system", {"spec": {"replicas": 0}})
    deadline = time.monotonic() + 60
    while core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items:
        assert time.monotonic() < deadline, "CoreDNS pods did not go"
        time.sleep(0.5)


def _restore_dns(api: Any) -> None:
    apps = k8s.AppsV1Api(api)
    apps.patch_namespaced_deployment_scale("coredns", "kube-system", {"spec": {"replicas": 2}})
    deadline = time.monotonic() + 90
    while (apps.read_namespaced_deployment("coredns", "kube-system").status.ready_replicas
           or 0) < 1:
        assert time.monotonic() < deadline, "CoreDNS did not come back"
        time.sleep(0.5)


def _no_kube_proxy(api: Any) -> None:
    k8s.AppsV1Api(api).delete_namespaced_daemon_set("kube-proxy", "kube-system")
    core, deadline = k8s.CoreV1Api(api), time.monotonic() + 60
    while core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items:
        assert time.monotonic() < deadline, "kube-proxy pods did not go"
        time.sleep(0.5)


def test_coredns_without_endpoints(broken: ClusterHandle, tmp_path: Path) -> None:
    try:
        _catch(broken, "CoreDNS without endpoints (scaled to 0)", _no_dns_endpoints,
               ["network/dns-resolution", "network/dns-pods"],
               ["network/pod-to-pod-across-nodes"], tmp_path)
    finally:
        api = broken.api_client()
        try:
            _restore_dns(api)
        finally:
            api.close()


def test_no_kube_proxy(broken: ClusterHandle, tmp_path: Path) -> None:
    _catch(broken, "no kube-proxy (DaemonSet deleted)", _no_kube_proxy,
           ["network/nodeport"], ["network/pod-to-pod-across-nodes"], tmp_path)


def _write_table() -> None:
    if not ROWS:
        return
    TABLE.write_text(
        "# What the Standard Base catches on real nodes\n\n"
        "Written by `tests/integration/nodes/test_node_catches.py` from its own runs against a "
        "real-node cluster (the control-plane node and two workers) broken on purpose.\n\n"
        "| fault | tests that must fail: status seen | a test that must pass: status seen |\n"
        "|---|---|---|\n" + "\n".join(ROWS) + "\n")
