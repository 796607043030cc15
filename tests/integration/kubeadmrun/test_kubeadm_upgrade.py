"""A kubeadm-driven cluster (one control plane, two workers) brought up at the previous minor
release, upgraded to the pinned one by ``kubeadm-verify upgrade`` run as a user runs it, with
the workload that must keep answering through it; then verified: every component at the new
release and the new release's etcd and CoreDNS, the kubeadm-config's version moved, the
certificates renewed, the Standard Base and the e2e standard-base mode passing; and the host as
it was after the teardown."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509

from bootstrap.kubeadmrun import KubeadmCluster, teardown_kubeadm
from bootstrap.kubeadmrun import record as kubeadm_record
from bootstrap.kubeadmrun.node import machine_of
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.spec import ClusterSpec, default_config
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import Client
from kubeadm_verify.pins import COREDNS_VERSION, ETCD_IMAGE_TAG, KUBERNETES_VERSION
from kubeadm_verify.record import replace
from tests.integration.kubeadmrun.e2emode import E2E_TIMEOUT_S, assert_standard_base_mode_passes
from tests.integration.kubeadmrun.standardbase import run_cluster
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
FROM_VERSION = "v1.36.3"
TO_VERSION = KUBERNETES_VERSION
UPGRADE_TIMEOUT_S = 1200
STEPS_PER_NODE = ("kubeadm", "drain", "kubelet", "uncordon")


@dataclass
class Brought:
    cluster: KubeadmCluster
    state: StateDir
    before: hostscope.Seen
    figures: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def old_cluster() -> Iterator[Brought]:
    before = hostscope.take()
    config = default_config()
    config = replace(config, cluster=replace(config.cluster, kubernetes_version=FROM_VERSION))
    spec = ClusterSpec(f"kvu-it-{secrets.token_hex(3)}", config, nodes=2, kubeadm="pinned")
    with bring_up(spec, log=lambda line: None) as handle:
        cluster = handle.kubeadm
        assert cluster is not None
        brought = Brought(cluster, spec.state, before)
        yield brought
        print(f"\n[upgrade] figures: {json.dumps(brought.figures)}", file=sys.stderr)


def api_of(brought: Brought) -> Client:
    return Client.from_file(brought.cluster.admin_conf)


def kubelet_versions(api: Client) -> dict[str, str]:
    return {
        n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"]
        for n in api.get("/api/v1/nodes")["items"]
    }


def test_the_cluster_starts_at_the_previous_minor(old_cluster: Brought) -> None:
    with api_of(old_cluster) as api:
        assert api.get("/version")["gitVersion"] == FROM_VERSION
        assert set(kubelet_versions(api).values()) == {FROM_VERSION}


@pytest.mark.timeout(UPGRADE_TIMEOUT_S + 60)
def test_the_upgrade_passes_every_step_and_the_workload_never_goes_unanswered(
    old_cluster: Brought, tmp_path: Path
) -> None:
    old_cluster.figures["apiserver_serial"] = apiserver_serial(old_cluster)
    clock = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "upgrade",
            "--name",
            old_cluster.state.name,
            "--state-dir",
            str(old_cluster.state.root),
            "--to",
            TO_VERSION,
            "--format",
            "json",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=UPGRADE_TIMEOUT_S,
        check=False,
    )
    old_cluster.figures["upgrade_s"] = time.monotonic() - clock
    checks = json.loads((tmp_path / "upgrade" / "results.json").read_text())["checks"]
    old_cluster.figures["steps"] = {c["id"]: round(c["duration_s"], 1) for c in checks}
    not_passed = [
        (c["id"], c["status"], c["message"][-1500:]) for c in checks if c["status"] != "pass"
    ]
    assert not not_passed, (not_passed, done.stderr[-3000:])
    assert done.returncode == 0, done.stderr[-3000:]
    ids = [c["id"] for c in checks]
    first = ["upgrade/cluster/images", "upgrade/cluster/workload"]
    control_plane = [
        "upgrade/control-plane-1/kubeadm",
        "upgrade/control-plane-1/upgrade-plan",
        "upgrade/control-plane-1/upgrade-diff",
        "upgrade/control-plane-1/upgrade-apply",
        *(f"upgrade/control-plane-1/{s}" for s in STEPS_PER_NODE[1:]),
    ]
    workers = [
        f"upgrade/worker-{n}/{s}"
        for n in (1, 2)
        for s in ("kubeadm", "upgrade-node", *STEPS_PER_NODE[1:])
    ]
    last = ["upgrade/cluster/addons", "upgrade/workload/kept-answering"]
    assert ids == [*first, *control_plane, *workers, *last]
    kept = checks[-1]["details"]
    old_cluster.figures["workload"] = kept
    assert kept["from_pod"]["made"] > 100 and kept["from_outside"]["made"] > 100, kept


def test_everything_runs_the_new_release_and_its_pins(old_cluster: Brought) -> None:
    with api_of(old_cluster) as api:
        assert api.get("/version")["gitVersion"] == TO_VERSION
        assert set(kubelet_versions(api).values()) == {TO_VERSION}
        pods = api.get("/api/v1/namespaces/kube-system/pods")["items"]
        images = {
            p["metadata"]["name"].split("-" + p["spec"].get("nodeName", ""))[0]: [
                c["image"] for c in p["spec"]["containers"]
            ]
            for p in pods
        }
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            assert images[component] == [f"registry.k8s.io/{component}:{TO_VERSION}"], images
        assert images["etcd"] == [f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}"], images
        proxy = api.get("/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy")
        assert proxy["spec"]["template"]["spec"]["containers"][0]["image"].endswith(TO_VERSION)
        dns = api.get("/apis/apps/v1/namespaces/kube-system/deployments/coredns")
        dns_image = dns["spec"]["template"]["spec"]["containers"][0]["image"]
        assert dns_image.endswith(f":{COREDNS_VERSION}"), dns_image
        kubeadm_config = api.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
        cluster_config = yaml.safe_load(kubeadm_config["data"]["ClusterConfiguration"])
        assert cluster_config["kubernetesVersion"] == TO_VERSION
    assert kubeadm_record.load(old_cluster.state)["version"] == TO_VERSION


def apiserver_serial(brought: Brought) -> int:
    found = nodes_record.load(brought.state)
    assert found is not None
    control_plane = next(n for n in found.nodes if n.control_plane)
    pem = machine_of(found, control_plane).host_view("/etc/kubernetes/pki/apiserver.crt")
    return int(x509.load_pem_x509_certificate(pem.read_bytes()).serial_number)


def test_the_control_plane_certificates_were_renewed(old_cluster: Brought) -> None:
    before = old_cluster.figures.get("apiserver_serial")
    assert before is not None, "the upgrade did not run"
    assert apiserver_serial(old_cluster) != before


@pytest.mark.timeout(600)
def test_the_standard_base_passes_after_the_upgrade(old_cluster: Brought, tmp_path: Path) -> None:
    ran = run_cluster(old_cluster.cluster.admin_conf, tmp_path)
    old_cluster.figures["standard_base_s"] = round(ran.wall_s, 1)
    ran.assert_passed()


@pytest.mark.timeout(E2E_TIMEOUT_S + 60)
def test_the_e2e_standard_base_mode_passes_after_the_upgrade(
    old_cluster: Brought, tmp_path: Path
) -> None:
    assert_standard_base_mode_passes(old_cluster.cluster.admin_conf, tmp_path)


def test_teardown_after_the_upgrade_leaves_the_host_as_it_was(old_cluster: Brought) -> None:
    state = old_cluster.state
    found = nodes_record.load(state)
    assert found is not None
    teardown_kubeadm(state.root, log=lambda line: None)
    assert nodes_record.load(state) is None
    for node in found.nodes:
        last = (state.logs / f"{node.name}-kubeadm-reset.log").read_text().splitlines()[-1]
        assert last.startswith(f"# kubeadm reset on {node.name}: exit 0"), last
    differences = hostscope.left_behind(old_cluster.before, found.plan.cid)
    assert not differences, differences
