"""Three control planes and a worker brought up by the real kubeadm binary: ``init
--upload-certs`` and ``join --control-plane`` behind haproxy, stacked etcd with three members,
every API server an endpoint of the ``kubernetes`` Service, the kubeconfigs through the load
balancer; ``kubeadm reset`` on each and the host as it was found."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.kubeadmrun import KubeadmCluster, teardown_kubeadm
from bootstrap.kubeadmrun.node import machine_of
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.joining import node_ready
from bootstrap.runtime.spec import ClusterSpec, default_config
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import Client
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
ETCD_PKI = "/etc/kubernetes/pki/etcd"


@dataclass
class Brought:
    cluster: KubeadmCluster
    state: StateDir
    before: hostscope.Seen


@pytest.fixture(scope="module")
def ha_cluster() -> Iterator[Brought]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: apt-get install haproxy")
    before = hostscope.take()
    spec = ClusterSpec(
        f"kvc-ha-{secrets.token_hex(3)}",
        default_config(),
        nodes=1,
        kubeadm="pinned",
        control_planes=3,
    )
    state = spec.state
    with bring_up(spec, log=lambda line: None) as handle:  # down again after the module
        cluster = handle.kubeadm
        assert cluster is not None
        print(f"\n[kubeadmrun] 3+1 timings (s from start): {cluster.timings}", file=sys.stderr)
        yield Brought(cluster, state, before)


@pytest.fixture(scope="module")
def api(ha_cluster: Brought) -> Iterator[Client]:
    client = Client.from_file(ha_cluster.cluster.admin_conf)
    try:
        yield client
    finally:
        client.close()


def test_three_control_planes_and_a_worker_arenode_ready(ha_cluster: Brought, api: Client) -> None:
    cluster = ha_cluster.cluster
    items = api.get("/api/v1/nodes")["items"]
    assert {i["metadata"]["name"] for i in items if node_ready(i)} == set(cluster.nodes)
    roles = {
        i["metadata"]["name"]
        for i in items
        if "node-role.kubernetes.io/control-plane" in i["metadata"]["labels"]
    }
    assert roles == set(cluster.control_planes) and len(roles) == 3


def test_every_api_server_is_behind_the_load_balancer(ha_cluster: Brought, api: Client) -> None:
    cluster = ha_cluster.cluster
    assert f"server: https://{cluster.endpoint}" in cluster.admin_conf.read_text()
    slices = api.get(
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
        "?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes"
    )["items"]
    addresses = {a for s in slices for e in s.get("endpoints") or [] for a in e["addresses"]}
    found = nodes_record.load(ha_cluster.state)
    assert found is not None
    planes = {n.address for n in found.nodes if n.control_plane}
    assert addresses == planes
    assert cluster.endpoint.split(":")[0] not in planes
    for name in cluster.control_planes:
        for component in ("kube-apiserver", "etcd"):
            pod = api.get(f"/api/v1/namespaces/kube-system/pods/{component}-{name}")
            assert pod["status"]["phase"] == "Running", (component, name)


def test_etcd_has_three_members_with_peer_tls(ha_cluster: Brought) -> None:
    found = nodes_record.load(ha_cluster.state)
    assert found is not None
    first = next(n for n in found.nodes if n.index == 0)
    pki = machine_of(found, first).host_view(ETCD_PKI)
    argv = [
        "curl",
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        str(pki / "ca.crt"),
        "--cert",
        str(pki / "healthcheck-client.crt"),
        "--key",
        str(pki / "healthcheck-client.key"),
        "-X",
        "POST",
        "-d",
        "{}",
        f"https://{first.address}:2379/v3/cluster/member/list",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    members = json.loads(done.stdout)["members"]
    assert len(members) == 3
    assert all(url.startswith("https://") for m in members for url in m["peerURLs"])
    assert not any(m.get("isLearner") for m in members)


def test_teardown_leaves_the_host_as_it_was(ha_cluster: Brought) -> None:
    state = ha_cluster.state
    found = nodes_record.load(state)
    assert found is not None
    teardown_kubeadm(state.root, log=lambda line: None)
    assert nodes_record.load(state) is None
    assert not Path(found.runtime_dir).exists()
    assert hostscope.naming(Path(found.runtime_dir)) == []
    for node in found.nodes:
        last = (state.logs / f"{node.name}-kubeadm-reset.log").read_text().splitlines()[-1]
        assert last.startswith(f"# kubeadm reset on {node.name}: exit 0"), last
    differences = hostscope.left_behind(ha_cluster.before, found.plan.cid)
    assert not differences, differences
