"""No false passes: a cluster whose nodes cannot run pods fails the Standard Base, saying why.

One real cluster, started without any Node, judged three times as it gets worse-looking nodes:
no Node at all; a simulated node kwok keeps NotReady (a stage of our own that reports the
kubelet's "cni plugin not initialized", the commonest broken kubeadm cluster); and besides it a
Node object that no kubelet heartbeats. Each time ``kubeadm-verify cluster --kubeconfig`` exits 1,
and the reports say which nodes and why. A real-kubelet test is skipped only while the cluster's
nodes are all simulated (another kind of cluster); once a real node exists and is NotReady, it
fails too. A test that needs none of this still passes.

The same cluster then gets DNS, as the suite's judgement sees DNS: a Ready node without kwok's
annotation (kept Ready by a kwok of its own, which also runs the CoreDNS pods scheduled there)
and ``kube-dns`` endpoints on it; with CoreDNS scaled to 0 the DNS tests are failures naming the
DNS pods' state, not errors of a setup that timed out. And ``cluster --up`` with a configuration
``kubeadm init`` completes although its nodes can never take a pod (no node lifecycle
controller, so their not-ready taints are never lifted) judges that cluster: exit 1, the node
tests failing naming the nodes, not exit 2.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bootstrap.runtime.handle import ClusterHandle
from conformance.standard_base.kube import Kube, wait_for
from tests.integration.conformance.conftest import Run, run_cli

pytestmark = pytest.mark.integration

PREFIX = "kvcluster"
KWOK_NODE = f"{PREFIX}-kwok-0"
REAL_NODE = f"{PREFIX}-real-0"
FOCUS = (
    "^(api-machinery/server-version|scheduling/pod-bound|apps/job-completion"
    "|node/pod-runs-to-completion|network/dns-resolution)$"
)
NEEDS_NODES = ("scheduling/pod-bound", "apps/job-completion")
NEEDS_REAL = ("node/pod-runs-to-completion", "network/dns-resolution")
NO_CNI = (
    "container runtime network not ready: NetworkReady=false "
    "reason:NetworkPluginNotReady message:Network plugin returns error: "
    "cni plugin not initialized"
)
NOT_READY_STAGE = f"""\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-stays-not-ready
spec:
  resourceRef: {{apiGroup: v1, kind: Node}}
  selector:
    matchExpressions:
    - {{key: '.status.phase', operator: DoesNotExist}}
  next:
    statusTemplate: |
      {{{{ $now := Now }}}}
      conditions:
      - lastHeartbeatTime: {{{{ $now | Quote }}}}
        lastTransitionTime: {{{{ $now | Quote }}}}
        type: Ready
        status: "False"
        reason: KubeletNotReady
        message: "{NO_CNI}"
      allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}
      capacity: {{cpu: "4", memory: 8Gi, pods: "110"}}
      phase: Running
"""


@pytest.fixture(scope="module")
def bare_cluster() -> Iterator[ClusterHandle]:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec

    spec = ClusterSpec.local(f"{PREFIX}-notready-{os.getpid()}")  # no Node: tests make their own
    with bring_up(spec, log=lambda line: None) as handle:
        yield handle


@pytest.fixture(scope="module")
def kube(bare_cluster: ClusterHandle) -> Iterator[Kube]:
    api_client = bare_cluster.api_client()
    try:
        yield Kube(api_client)
    finally:
        api_client.close()


@pytest.fixture(scope="module")
def not_ready_kwok(
    bare_cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory, kube: Kube
) -> Iterator[subprocess.Popen[bytes]]:
    """kwok with one stage only: the nodes it manages become NotReady and stay so."""
    from bootstrap.phases.staticpods import bin_dir
    from bootstrap.runtime.kwok import SELECTOR
    from bootstrap.runtime.state import StateDir

    assert bare_cluster.state_dir is not None, "the fixture's cluster has no state dir"
    binary = bin_dir(StateDir.for_cluster(bare_cluster.name, bare_cluster.state_dir)) / "kwok"
    folder = tmp_path_factory.mktemp(f"{PREFIX}-kwok")
    (folder / "stages.yaml").write_text(NOT_READY_STAGE)
    log = (folder / "kwok.log").open("wb")
    process = subprocess.Popen(
        [
            str(binary),
            f"--kubeconfig={bare_cluster.kubeconfig}",
            f"--config={folder / 'stages.yaml'}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={SELECTOR}",
            "--node-lease-duration-seconds=40",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(folder)},
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
        for name in (KWOK_NODE, REAL_NODE):
            _delete_node(kube, name)


def _delete_node(kube: Kube, name: str) -> None:
    from kubernetes import client

    try:
        kube.core.delete_node(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def _node(name: str, simulated: bool) -> dict[str, Any]:
    from bootstrap.runtime.kwok import ANNOTATION

    annotations = {ANNOTATION: "fake"} if simulated else {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": annotations,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
        },
    }


def _judge(handle: ClusterHandle, output: Path) -> tuple[Run, dict[str, dict[str, Any]]]:
    run = run_cli(
        "--kubeconfig",
        str(handle.kubeconfig),
        "--context",
        str(handle.context),
        "--focus",
        FOCUS,
        output=output,
        timeout=300,
    )
    return run, {c["id"]: c for c in run.results["checks"]}


def _failed_saying(checks: dict[str, dict[str, Any]], ids: tuple[str, ...], *words: str) -> None:
    for test_id in ids:
        check = checks[test_id]
        assert check["status"] == "fail", f"{test_id}: {check['status']}: {check['message']}"
        missing = [w for w in words if w not in check["message"]]
        assert not missing, f"{test_id} does not say {missing}: {check['message']}"


def _wait_not_ready(kube: Kube, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        node = kube.core.read_node(name)
        conditions = node.status.conditions or [] if node.status else []
        if any(c.type == "Ready" and c.status == "False" for c in conditions):
            return
        time.sleep(0.5)
    raise AssertionError(f"kwok did not make {name} NotReady within {timeout:g}s")


def test_nodes_that_cannot_run_pods_fail_the_standard_base(
    bare_cluster: ClusterHandle, kube: Kube, not_ready_kwok: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    run, checks = _judge(bare_cluster, tmp_path / "no-node")
    assert run.code == 1, run.stderr[-2000:]
    assert checks["api-machinery/server-version"]["status"] == "pass"
    _failed_saying(checks, NEEDS_NODES + NEEDS_REAL, "the cluster has no Node at all")

    kube.core.create_node(_node(KWOK_NODE, simulated=True))
    _wait_not_ready(kube, KWOK_NODE)
    run, checks = _judge(bare_cluster, tmp_path / "kwok-not-ready")
    assert run.code == 1, run.stderr[-2000:]
    _failed_saying(
        checks,
        NEEDS_NODES,
        "needs nodes: no node can run the suite's pods",
        f"{KWOK_NODE} NotReady",
        "cni plugin not initialized",
    )
    for test_id in NEEDS_REAL:  # nodes all simulated: another kind of cluster, not a fault
        assert checks[test_id]["status"] == "skip", checks[test_id]
        assert "every node is simulated (kwok)" in checks[test_id]["message"]

    kube.core.create_node(_node(REAL_NODE, simulated=False))
    run, checks = _judge(bare_cluster, tmp_path / "real-not-ready")
    assert run.code == 1, run.stderr[-2000:]
    assert checks["api-machinery/server-version"]["status"] == "pass"
    _failed_saying(checks, NEEDS_NODES, f"{KWOK_NODE} NotReady", f"{REAL_NODE} NotReady")
    _failed_saying(checks, NEEDS_REAL, "no real node is Ready", f"{REAL_NODE} NotReady")
    junit = (tmp_path / "real-not-ready" / "cluster" / "junit.xml").read_text()
    assert junit.count("<failure") == len(NEEDS_NODES + NEEDS_REAL), junit
    assert f"no real node is Ready: {REAL_NODE} NotReady" in junit


# -- DNS without endpoints -------------------------------------------------------------------------

DNS_HOST = f"{PREFIX}-dns-host-0"
DNS_TESTS = ("network/dns-resolution", "network/dns-pods")
# The first test of the run to want a need judges them for the session; this one has a 30 s
# timeout, as long as the judgement's settling time, and runs before the DNS tests.
FIRST = "auth/subject-access-review"
DNS_FOCUS = "^(" + "|".join((FIRST, *DNS_TESTS)) + ")$"
JUDGE_LIMIT_S = 150


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def _dns_ready_on(kube: Kube, node: str) -> bool:
    slices = kube.discovery.list_namespaced_endpoint_slice(
        "kube-system", label_selector="kubernetes.io/service-name=kube-dns"
    ).items
    return any(
        e.node_name == node and (e.conditions is None or e.conditions.ready is not False)
        for s in slices
        for e in s.endpoints or []
    )


def _coredns_replicas(kube: Kube, replicas: int) -> None:
    kube.apps.patch_namespaced_deployment_scale(
        "coredns", "kube-system", {"spec": {"replicas": replicas}}
    )


@pytest.fixture
def dns_host(
    bare_cluster: ClusterHandle, kube: Kube, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A node the judgement takes for a real one (no kwok annotation) that a kwok of its own
    (``--manage-single-node``, the bring-up's usual stages) keeps Ready and whose pods it runs;
    removed afterwards, with CoreDNS's replicas put back."""
    from bootstrap.phases.staticpods import bin_dir
    from bootstrap.runtime.kwok import STAGES
    from bootstrap.runtime.state import StateDir

    assert bare_cluster.state_dir is not None, "the fixture's cluster has no state dir"
    binary = bin_dir(StateDir.for_cluster(bare_cluster.name, bare_cluster.state_dir)) / "kwok"
    folder = tmp_path_factory.mktemp(f"{PREFIX}-dns-kwok")
    (folder / "stages.yaml").write_text(STAGES)
    replicas = kube.apps.read_namespaced_deployment_scale("coredns", "kube-system").spec.replicas
    log = (folder / "kwok.log").open("wb")
    process = subprocess.Popen(
        [
            str(binary),
            f"--kubeconfig={bare_cluster.kubeconfig}",
            f"--config={folder / 'stages.yaml'}",
            "--manage-all-nodes=false",
            f"--manage-single-node={DNS_HOST}",
            "--node-lease-duration-seconds=40",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(folder)},
    )
    try:
        kube.core.create_node(_node(DNS_HOST, simulated=False))
        yield DNS_HOST
    finally:
        _stop(process)
        log.close()
        _delete_node(kube, DNS_HOST)
        _coredns_replicas(kube, replicas)


def test_dns_without_endpoints_fails_the_dns_tests_naming_the_dns_pods(
    bare_cluster: ClusterHandle, kube: Kube, dns_host: str, tmp_path: Path
) -> None:
    wait_for(
        f"a ready kube-dns endpoint on {dns_host}",
        lambda: _dns_ready_on(kube, dns_host),
        90,
        interval=1,
    )
    _coredns_replicas(kube, 0)
    wait_for(
        "kube-dns without a ready endpoint",
        lambda: not _dns_ready_on(kube, dns_host),
        60,
        interval=1,
    )

    started = time.monotonic()
    run = run_cli(
        "--kubeconfig",
        str(bare_cluster.kubeconfig),
        "--context",
        str(bare_cluster.context),
        "--focus",
        DNS_FOCUS,
        output=tmp_path,
        timeout=JUDGE_LIMIT_S,
    )
    took = time.monotonic() - started
    assert run.code == 1, run.stderr[-2000:]
    checks = {c["id"]: c for c in run.results["checks"]}
    assert sorted(checks) == sorted((FIRST, *DNS_TESTS)), sorted(checks)
    assert checks[FIRST]["status"] == "pass", checks[FIRST]
    _failed_saying(
        checks,
        DNS_TESTS,
        "needs dns: Service kube-system/kube-dns has no ready endpoint",
        "Deployment kube-system/coredns: 0 of 0 replicas ready (scaled to 0)",
    )
    junit = (tmp_path / "cluster" / "junit.xml").read_text()
    assert junit.count("<failure") == len(DNS_TESTS) and "<error" not in junit, junit
    assert "Timeout" not in junit, junit
    assert took < JUDGE_LIMIT_S, took


# -- nodes that never come up, with cluster --up ---------------------------------------------------

NO_NODE_LIFECYCLE = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controllerManager:
  extraArgs:
  - name: controllers
    value: "*,bootstrapsigner,tokencleaner,-node-lifecycle-controller"
"""
NODE_TESTS = ("node/all-nodes-ready", "scheduling/pod-bound")
UP_FOCUS = "^(api-machinery/server-version|" + "|".join(NODE_TESTS) + ")$"
TAINT = "tainted node.kubernetes.io/not-ready:NoSchedule"


def test_up_judges_a_cluster_whose_nodes_never_come_up(tmp_path: Path) -> None:
    config = tmp_path / "no-node-lifecycle.yaml"
    config.write_text(NO_NODE_LIFECYCLE)
    run = run_cli(
        "--up", "--config", str(config), "--focus", UP_FOCUS, output=tmp_path / "out", timeout=300
    )
    assert run.code == 1, run.stderr[-2000:]
    assert "0 of 2 simulated node(s) Ready" in run.stderr, run.stderr[-2000:]
    checks = {c["id"]: c for c in run.results["checks"]}
    assert checks["api-machinery/server-version"]["status"] == "pass"
    _failed_saying(
        checks,
        NODE_TESTS,
        "needs nodes: no node can run the suite's pods",
        f"kwok-node-0 {TAINT}",
        f"kwok-node-1 {TAINT}",
    )
