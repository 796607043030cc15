"""A kubeadm-driven cluster at the release before the pinned one (``UPGRADE_FROM_VERSION``,
v1.36.3), brought up and down by the CLI as a user would (``up --kubeadm --kubernetes-version
v1.36.3``): one control plane and one worker, every piece at that release's set, as the API and
each component itself report it. The kubelet of every node and kube-proxy on it are v1.36.3, the
API server serves v1.36.3, etcd runs kubeadm v1.36.3's image 3.6.8-0 and says it is 3.6.8,
CoreDNS runs v1.14.2 and says so; each node holds its own copy of the release's kubelet, which an
upgrade replaces. ``down`` leaves the host as it was found."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.kubeadmrun import kubeadmconfig
from bootstrap.kubeadmrun import record as kubeadm_record
from bootstrap.kubeadmrun.node import machine_of
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.binaries import ensure_binaries
from kubeadm_verify.access import Client
from kubeadm_verify.pins import UPGRADE_FROM_VERSION, release_pins
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
VERSION = UPGRADE_FROM_VERSION
PINS = release_pins(VERSION)
UP_TIMEOUT_S = 900
DOWN_TIMEOUT_S = 300
METRICS_TIMEOUT_S = 30


@dataclass
class Brought:
    name: str
    state: StateDir
    admin_conf: Path
    nodes: NodesRecord
    before: hostscope.Seen


def _cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def old_cluster() -> Iterator[Brought]:
    """``up`` and, whatever happens in the module, ``down`` (the last test checks its work)."""
    before = hostscope.take()
    name = f"rs-{secrets.token_hex(3)}"
    try:
        up = _cli(
            "up",
            "--name",
            name,
            "--kubeadm",
            "--kubernetes-version",
            VERSION,
            "--nodes",
            "1",
            timeout=UP_TIMEOUT_S,
        )
        assert up.returncode == 0, up.stderr[-3000:]
        state = StateDir.for_cluster(name, None)
        found = nodes_record.load(state)
        assert found is not None
        print(f"\n[kubeadmrun] {VERSION} 1+1: {up.stderr.strip().splitlines()[-1]}")
        yield Brought(name, state, Path(up.stdout.strip()), found, before)
    finally:
        _cli("down", "--name", name, timeout=DOWN_TIMEOUT_S)


@pytest.fixture(scope="module")
def api(old_cluster: Brought) -> Iterator[Client]:
    client = Client.from_file(old_cluster.admin_conf)
    try:
        yield client
    finally:
        client.close()


def _metrics(entry: NodeEntry, url: str) -> str:
    """An HTTP metrics page fetched from inside ``entry``'s network namespace, where the
    component listens (on the node's loopback, or a pod address routed there)."""
    argv = ["nsenter", f"--net=/run/netns/{entry.netns}", "--", "curl", "-sS", "--max-time"]
    done = subprocess.run(
        [*argv, "10", url],
        capture_output=True,
        text=True,
        timeout=METRICS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{url} from {entry.name}: {done.stderr}"
    return done.stdout


def _label(metrics: str, metric: str, label: str) -> set[str]:
    """Every value ``label`` takes on the samples of ``metric``."""
    pattern = re.compile(rf'^{re.escape(metric)}\{{[^}}]*\b{re.escape(label)}="([^"]*)"', re.M)
    return set(pattern.findall(metrics))


def _pods(api: Client, selector: str) -> list[dict[str, Any]]:
    path = f"/api/v1/namespaces/kube-system/pods?labelSelector={selector}"
    items: list[dict[str, Any]] = api.get(path)["items"]
    return items


def test_the_api_server_serves_the_release(api: Client, old_cluster: Brought) -> None:
    assert api.get("/version")["gitVersion"] == VERSION
    assert kubeadm_record.load(old_cluster.state)["version"] == VERSION


def test_every_node_s_kubelet_is_the_release_s_own_copy(api: Client, old_cluster: Brought) -> None:
    """The API's nodeInfo, and the file each node's unit runs: the release's kubelet, placed in
    the node (where an upgrade replaces it)."""
    items = api.get("/api/v1/nodes")["items"]
    versions = {i["metadata"]["name"]: i["status"]["nodeInfo"]["kubeletVersion"] for i in items}
    assert versions == {entry.name: VERSION for entry in old_cluster.nodes.nodes}
    assert len(versions) == 2
    released = (ensure_binaries(VERSION) / "kubelet").read_bytes()
    for entry in old_cluster.nodes.nodes:
        placed = machine_of(old_cluster.nodes, entry).host_view(kubeadmconfig.KUBELET_IN_NODE)
        assert placed.read_bytes() == released, entry.name


def test_kube_proxy_on_every_node_is_the_release(api: Client, old_cluster: Brought) -> None:
    """The DaemonSet's image, one running pod per node, and each kube-proxy's own build info."""
    daemonset = api.get("/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy")
    images = [c["image"] for c in daemonset["spec"]["template"]["spec"]["containers"]]
    assert images == [f"registry.k8s.io/kube-proxy:{VERSION}"]
    pods = _pods(api, "k8s-app=kube-proxy")
    running = {p["spec"]["nodeName"] for p in pods if p["status"]["phase"] == "Running"}
    assert running == {entry.name for entry in old_cluster.nodes.nodes}
    for entry in old_cluster.nodes.nodes:
        metrics = _metrics(entry, "http://127.0.0.1:10249/metrics")
        assert _label(metrics, "kubernetes_build_info", "git_version") == {VERSION}, entry.name


def test_etcd_is_the_release_s_pin(api: Client, old_cluster: Brought) -> None:
    """The static pod's image is kubeadm v1.36.3's 3.6.8-0, and etcd itself says 3.6.8."""
    control_plane = next(entry for entry in old_cluster.nodes.nodes if entry.control_plane)
    pod = api.get(f"/api/v1/namespaces/kube-system/pods/etcd-{control_plane.name}")
    assert pod["spec"]["containers"][0]["image"] == "registry.k8s.io/etcd:3.6.8-0"
    assert PINS.etcd_image_tag == "3.6.8-0"
    metrics = _metrics(control_plane, "http://127.0.0.1:2381/metrics")
    assert _label(metrics, "etcd_server_version", "server_version") == {"3.6.8"}


def test_coredns_is_the_release_s_pin(api: Client, old_cluster: Brought) -> None:
    """The Deployment's image is kubeadm v1.36.3's v1.14.2; each replica says 1.14.2."""
    deployment = api.get("/apis/apps/v1/namespaces/kube-system/deployments/coredns")
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert images == ["registry.k8s.io/coredns/coredns:v1.14.2"]
    by_name = {entry.name: entry for entry in old_cluster.nodes.nodes}
    pods = [p for p in _pods(api, "k8s-app=kube-dns") if p["status"]["phase"] == "Running"]
    assert pods
    for pod in pods:
        entry = by_name[pod["spec"]["nodeName"]]
        metrics = _metrics(entry, f"http://{pod['status']['podIP']}:9153/metrics")
        assert _label(metrics, "coredns_build_info", "version") == {"1.14.2"}


def test_down_leaves_the_host_as_it_was(old_cluster: Brought) -> None:
    """Runs last in the module: ``kubeadm-verify down`` (``kubeadm reset`` on each node first),
    then the host compared with before the ``up``."""
    runtime_dir = Path(old_cluster.nodes.runtime_dir)
    assert runtime_dir.is_dir()
    done = _cli("down", "--name", old_cluster.name, timeout=DOWN_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not old_cluster.state.root.exists()
    assert not runtime_dir.exists()
    assert hostscope.naming(runtime_dir) == []
    differences = hostscope.left_behind(old_cluster.before, old_cluster.nodes.plan.cid)
    assert not differences, differences
