"""One control plane and two workers brought up by the real kubeadm binary on our nodes: every node
Ready with its network's pod CIDR, the control plane as static pods from our local images,
CoreDNS answering, a pod running on a worker from a local image, no token in any log, nothing
written to the host's own paths, and, after ``kubeadm reset`` and the teardown, the host as it
was found. The cluster is verified as any other: the node tier ran inside each node before
kubeadm did and agrees with kubeadm's own preflight there; the Standard Base, run inside the
control-plane node as its operator would, passes with nothing skipped, with the same verdicts as
on the Python bootstrap's cluster (``sidebyside``); the e2e standard-base mode passes 26/26."""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.kubeadmrun import KubeadmCluster, kubeadmconfig, teardown_kubeadm
from bootstrap.kubeadmrun import record as kubeadm_record
from bootstrap.kubeadmrun.node import machine_of
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.joining import node_ready
from bootstrap.runtime.nodes.layout import MACHINE_ROOT
from bootstrap.runtime.spec import ClusterSpec, default_config
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.nodeparts import ensure_node_parts
from kubeadm_verify.access import Client, WaitTimedOut, wait_for
from tests.integration import sidebyside
from tests.integration.kubeadmrun import alongside
from tests.integration.kubeadmrun.e2emode import E2E_TIMEOUT_S, assert_standard_base_mode_passes
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
HOST_PATHS_NEVER_WRITTEN = ("/etc/kubernetes", "/var/lib/etcd", "/etc/cni/net.d/10-kvn.conflist")
"""Where kubeadm and the kubelet write on a machine of their own: never the host's here."""


@dataclass
class Brought:
    cluster: KubeadmCluster
    state: StateDir
    before: hostscope.Seen
    absent_before: dict[str, bool]
    kubeadm: Path


@pytest.fixture(scope="module")
def kubeadm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Brought]:
    """Brought up with a user's kubeadm: the pinned one copied under another name into a
    temporary dir (which the nodes do not see: their /tmp is their own)."""
    before = hostscope.take()
    absent = {path: not Path(path).exists() for path in HOST_PATHS_NEVER_WRITTEN}
    kubeadm = tmp_path_factory.mktemp("user-kubeadm") / "kubeadm-user-build"
    shutil.copy2(ensure_node_parts(None, None).binary("kubeadm"), kubeadm)
    spec = ClusterSpec(
        f"kvk-it-{secrets.token_hex(3)}", default_config(), nodes=2, kubeadm=str(kubeadm)
    )
    state = spec.state
    with bring_up(spec, log=lambda line: None) as handle:  # down again after the module
        cluster = handle.kubeadm
        assert cluster is not None
        print(f"\n[kubeadmrun] 1+2 timings (s from start): {cluster.timings}", file=sys.stderr)
        yield Brought(cluster, state, before, absent, kubeadm)


@pytest.fixture(scope="module")
def api(kubeadm_cluster: Brought) -> Iterator[Client]:
    client = Client.from_file(kubeadm_cluster.cluster.admin_conf)
    try:
        yield client
    finally:
        client.close()


def test_every_node_isnode_ready(kubeadm_cluster: Brought, api: Client) -> None:
    cluster = kubeadm_cluster.cluster
    items = api.get("/api/v1/nodes")["items"]
    ready = {item["metadata"]["name"] for item in items if node_ready(item)}
    assert ready == set(cluster.nodes)
    labels = next(i for i in items if i["metadata"]["name"] == cluster.control_plane)["metadata"][
        "labels"
    ]
    assert "node-role.kubernetes.io/control-plane" in labels
    assert cluster.timings["ready"] > 0


def test_the_user_s_kubeadm_drove_every_node(kubeadm_cluster: Brought) -> None:
    assert kubeadm_record.load(kubeadm_cluster.state)["kubeadm"] == str(kubeadm_cluster.kubeadm)
    found = nodes_record.load(kubeadm_cluster.state)
    assert found is not None and len(found.nodes) == 3
    for entry in found.nodes:
        machine = machine_of(found, entry)
        placed = machine.host_view(kubeadmconfig.KUBEADM_IN_NODE)
        assert placed.read_bytes() == kubeadm_cluster.kubeadm.read_bytes()
        what = "init" if entry.control_plane else "join"
        log = kubeadm_cluster.state.logs / f"{entry.name}-kubeadm-{what}.log"
        last = log.read_text().splitlines()[-1]
        assert last.startswith(f"# kubeadm {what} on {entry.name}: exit 0"), last


def test_control_plane_runs_as_static_pods_from_local_images(
    kubeadm_cluster: Brought, api: Client
) -> None:
    cluster = kubeadm_cluster.cluster
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        pod = api.get(f"/api/v1/namespaces/kube-system/pods/{component}-{cluster.control_plane}")
        assert pod["status"]["phase"] == "Running", component
        image = pod["spec"]["containers"][0]["image"]
        assert image.startswith(f"registry.k8s.io/{component}:"), image
        assert pod["spec"]["containers"][0].get("imagePullPolicy") in (None, "IfNotPresent")


def test_coredns_answers_from_a_node(kubeadm_cluster: Brought, api: Client) -> None:
    """CoreDNS's Service address, asked from inside the worker's network namespace (where
    kube-proxy's rules are), resolves the API's Service name to its address."""
    dns = api.get("/api/v1/namespaces/kube-system/services/kube-dns")["spec"]["clusterIP"]
    kubernetes = api.get("/api/v1/namespaces/default/services/kubernetes")["spec"]["clusterIP"]
    found = nodes_record.load(kubeadm_cluster.state)
    assert found is not None
    worker = next(node for node in found.nodes if not node.control_plane)
    argv = [
        "nsenter",
        f"--net=/run/netns/{worker.netns}",
        "--",
        "dig",
        "+short",
        "+time=2",
        "+tries=2",
        f"@{dns}",
        "kubernetes.default.svc.cluster.local",
    ]
    answer = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert answer.stdout.split() == [kubernetes], answer.stdout + answer.stderr


def test_a_pod_runs_on_the_worker_from_a_local_image(kubeadm_cluster: Brought, api: Client) -> None:
    worker = kubeadm_cluster.cluster.workers[0]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kvc-agnhost", "namespace": "default"},
        "spec": {
            "nodeName": worker,
            "containers": [
                {
                    "name": "agnhost",
                    "image": AGNHOST,
                    "imagePullPolicy": "Never",
                    "args": ["pause"],
                }
            ],
        },
    }
    api.request("POST", "/api/v1/namespaces/default/pods", pod)

    def running() -> bool:
        found = api.get("/api/v1/namespaces/default/pods/kvc-agnhost")
        return bool(found["status"].get("phase") == "Running")

    try:
        wait_for(running, 60, interval=0.5)
    except WaitTimedOut:
        status = api.get("/api/v1/namespaces/default/pods/kvc-agnhost")["status"]
        pytest.fail(f"the pod is not Running on {worker} after 60 s: {status}")


def test_the_join_token_is_in_no_log(kubeadm_cluster: Brought, api: Client) -> None:
    secret_list = api.get("/api/v1/namespaces/kube-system/secrets")["items"]
    tokens = [
        base64.b64decode(s["data"]["token-secret"]).decode()
        for s in secret_list
        if s.get("type") == "bootstrap.kubernetes.io/token"
    ]
    assert tokens, "kubeadm init made no bootstrap token"
    logs = sorted(path for path in kubeadm_cluster.state.logs.rglob("*") if path.is_file())
    assert any(log.name.endswith("kubeadm-init.log") for log in logs)
    assert any(log.name == "results.json" for log in logs)  # the node tier's, beside kubeadm's
    for log in logs:
        text = log.read_text(errors="replace")
        assert not any(token in text for token in tokens), log


def test_nothing_is_written_to_the_host_s_own_paths(kubeadm_cluster: Brought) -> None:
    for path, was_absent in kubeadm_cluster.absent_before.items():
        if was_absent:
            assert not Path(path).exists(), path


STANDARD_BASE_IN_NODE = "/var/lib/kubeadm-verify/standard-base"
"""Where the Standard Base run inside the control-plane node writes its reports (the node's
own ``/var``, read by the host through ``host_view``)."""


@pytest.mark.timeout(600)
def test_the_standard_base_passes_on_it_with_nothing_skipped(
    kubeadm_cluster: Brought,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    """Run as an operator runs it: on the control-plane machine (inside its node's namespaces,
    with the ``admin.conf`` kubeadm wrote there), so the control-plane port checks look at the
    control plane's own ports; every test passes and none is skipped. Its verdicts are then
    set beside the Python bootstrap's cluster's, when that ran in this run too."""
    found = nodes_record.load(kubeadm_cluster.state)
    assert found is not None
    control_plane = next(node for node in found.nodes if node.control_plane)
    started = time.monotonic()
    done = alongside.python_in_node(
        control_plane,
        [
            "-m",
            "kubeadm_verify",
            "cluster",
            "--kubeconfig",
            "/etc/kubernetes/admin.conf",
            "--parallel",
            "4",
            "--format",
            "json",
            "--output-dir",
            STANDARD_BASE_IN_NODE,
        ],
        timeout=540,
    )
    took = time.monotonic() - started
    written = machine_of(found, control_plane).host_view(STANDARD_BASE_IN_NODE)
    checks = json.loads((written / "cluster" / "results.json").read_text())["checks"]
    # each check not passed with what it said, so a failure here names its cause
    not_passed = [
        (c["id"], c["status"], c["message"][-1500:]) for c in checks if c["status"] != "pass"
    ]
    assert not not_passed, f"not passed on the kubeadm-driven cluster: {not_passed}"
    assert done.returncode == 0, done.stderr[-3000:]
    ids = {c["id"] for c in checks}
    assert {
        "kubeadm/controller-manager-port",
        "kubeadm/scheduler-port",
        "kubeadm/etcd-client-certificates",
    } <= ids
    print(f"\nStandard Base inside {control_plane.name}: {len(checks)} pass in {took:.1f}s")
    sidebyside.save_and_compare(tmp_path_factory, request.config, "kubeadm", checks)


def test_each_node_has_its_network_s_pod_cidr(kubeadm_cluster: Brought, api: Client) -> None:
    """Each Node's ``podCIDR`` is the /24 its pod network was made for (the bring-up sets it,
    node IPAM being off), whatever order the workers, joining at once, registered in."""
    found = nodes_record.load(kubeadm_cluster.state)
    assert found is not None and len(found.nodes) == 3
    given = {
        item["metadata"]["name"]: item["spec"].get("podCIDR")
        for item in api.get("/api/v1/nodes")["items"]
    }
    assert given == {entry.name: entry.pod_cidr for entry in found.nodes}


def test_the_node_tier_ran_in_each_node_and_agrees_with_kubeadm(kubeadm_cluster: Brought) -> None:
    """``kubeadm-verify node`` ran inside each node just before kubeadm there; its verdicts,
    check by check, are kubeadm's own wherever both judge (kubeadm names a check in its
    preflight output only when it warns or errs)."""
    state = kubeadm_cluster.state
    found = nodes_record.load(state)
    assert found is not None
    tables: list[str] = []
    differences: dict[str, object] = {}
    for entry in found.nodes:
        what = "init" if entry.control_plane and entry.index == 0 else "join"
        kubeadm_log = (state.logs / f"{entry.name}-kubeadm-{what}.log").read_text()
        assert "[preflight] Running pre-flight checks" in kubeadm_log, entry.name
        reports = state.logs / f"{entry.name}-node-tier"
        assert (reports / "junit.xml").stat().st_size > 0
        results = alongside.load_results(reports)
        lined = alongside.line_up(entry.name, kubeadm_log, results)
        tables.append(lined.table())
        assert len(lined.rows) >= (20 if what == "init" else 12), lined.table()
        if lined.differ or lined.unknown_to_us:
            differences[entry.name] = (lined.differ, lined.unknown_to_us)
    print("\n" + "\n".join(tables), file=sys.stderr)
    assert not differences, differences


@pytest.mark.timeout(E2E_TIMEOUT_S + 60)
def test_the_e2e_standard_base_mode_passes_26_of_26(
    kubeadm_cluster: Brought, tmp_path: Path
) -> None:
    """Upstream ``e2e.test`` in the standard-base mode, run from the host with the cluster's
    ``admin.conf`` (e2e.test runs from wherever the kubeconfig reaches the API, as an operator
    runs it from a workstation; the host routes to the nodes' addresses): every spec passes."""
    assert_standard_base_mode_passes(kubeadm_cluster.cluster.admin_conf, tmp_path)


def test_teardown_leaves_the_host_as_it_was(kubeadm_cluster: Brought) -> None:
    """Runs last in the module: ``kubeadm reset`` and the teardown here, the host compared
    after; whatever changed and is not positively another cluster's counts against this one."""
    state = kubeadm_cluster.state
    found = nodes_record.load(state)
    assert found is not None and Path(found.runtime_dir).is_dir()
    assert Path(found.runtime_dir).parent == MACHINE_ROOT
    teardown_kubeadm(state.root, log=lambda line: None)
    assert nodes_record.load(state) is None
    assert kubeadm_record.load(state) == {}
    assert not Path(found.runtime_dir).exists()
    assert hostscope.naming(Path(found.runtime_dir)) == []
    for node in found.nodes:
        reset_log = state.logs / f"{node.name}-kubeadm-reset.log"
        last = reset_log.read_text().splitlines()[-1]
        assert last.startswith(f"# kubeadm reset on {node.name}: exit 0"), last
    differences = hostscope.left_behind(kubeadm_cluster.before, found.plan.cid)
    assert not differences, differences
