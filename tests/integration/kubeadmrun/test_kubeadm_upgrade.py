"""A kubeadm-driven cluster (one control plane, two workers) brought up at the previous minor
release. First an upgrade whose new API server cannot start (an unknown flag through kubeadm's
patches): kubeadm rolls it back, the report names the step, and the cluster, still at the old
release, passes the Standard Base. Then the cluster upgraded to the pinned release by
``kubeadm-verify upgrade`` run as a user runs it, with the workload that must keep answering
through it; then verified: every component at the new
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
from bootstrap.kubeadmrun.commands import command_env
from bootstrap.kubeadmrun.keepanswering import BUSYBOX
from bootstrap.kubeadmrun.kubeadmconfig import API_VERSION, CRI_SOCKET, KUBEADM_IN_NODE
from bootstrap.kubeadmrun.machine import install_in_running_node
from bootstrap.kubeadmrun.node import machine_of, path_dirs, python_env
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.spec import ClusterSpec, default_config
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.nodeparts import ensure_node_parts
from kubeadm_verify.access import ApiError, Client
from kubeadm_verify.pins import COREDNS_VERSION, ETCD_IMAGE_TAG, KUBERNETES_VERSION
from kubeadm_verify.record import replace
from tests.integration.kubeadmrun.alongside import in_node, line_up
from tests.integration.kubeadmrun.controlplane import wait_for_control_plane
from tests.integration.kubeadmrun.e2emode import E2E_TIMEOUT_S, assert_standard_base_mode_passes
from tests.integration.kubeadmrun.standardbase import OLDER_RELEASE, run_cluster
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
FROM_VERSION = "v1.36.3"
TO_VERSION = KUBERNETES_VERSION
UPGRADE_TIMEOUT_S = 1200
STEPS_PER_NODE = ("kubeadm", "drain", "kubelet", "uncordon")
UNKNOWN_FLAG = [
    {"op": "add", "path": "/spec/containers/0/command/-", "value": "--no-such-flag=true"}
]
"""A JSON patch no kube-apiserver starts with."""
ROLLED_BACK = "kubeadm has tried to recover everything into the earlier state"
API_BACK_S = 240.0
DNS_BACK_S = 300
"""How long CoreDNS may take to learn a Service made after the API server came back. Its
client-go watchers wait up to [30, 60) s between attempts to list again once the API server went
away (``client-go/tools/cache/reflector.go``, ``defaultBackoffMax`` with jitter 1.0); here a new
Service's name resolved from one to two and a half minutes after the API server answered again."""
DNS_CHECK = "dns-back"
SERVED_FROM_1_37 = {
    "node/dra-devicetaintrule-crud",
    "api-machinery/storage-version-migration-crud",
    "auth/clustertrustbundle-crud",
    "auth/podcertificaterequest-api",
    "auth/pod-certificate-expiration-limits",
    "storage/pod-certificate-volume",
}
"""The Standard Base's tests of what v1.37 first serves: skipped on a v1.36 server."""


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


def run_upgrade(
    brought: Brought, output: Path, *more: str
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]], float]:
    """``kubeadm-verify upgrade`` as a user runs it: its exit, its checks, its wall time."""
    clock = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "upgrade",
            "--name",
            brought.state.name,
            "--state-dir",
            str(brought.state.root),
            "--to",
            TO_VERSION,
            "--format",
            "json",
            "--output-dir",
            str(output),
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=UPGRADE_TIMEOUT_S,
        check=False,
    )
    checks = json.loads((output / "upgrade" / "results.json").read_text())["checks"]
    return done, checks, time.monotonic() - clock


@pytest.mark.timeout(UPGRADE_TIMEOUT_S + 60)
def test_an_upgrade_whose_api_server_cannot_start_is_rolled_back_by_kubeadm(
    old_cluster: Brought, tmp_path: Path
) -> None:
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "kube-apiserver+json.json").write_text(json.dumps(UNKNOWN_FLAG))
    done, checks, took = run_upgrade(
        old_cluster,
        tmp_path / "report",
        "--no-workload",
        "--no-etcd-upgrade",
        "--patches",
        str(patches),
        "--upgrade-manifests-timeout",
        "60s",
    )
    old_cluster.figures["failed_upgrade_s"] = round(took, 1)
    assert done.returncode == 1, (done.returncode, done.stderr[-3000:])
    by_status: dict[str, list[str]] = {}
    for check in checks:
        by_status.setdefault(check["status"], []).append(check["id"])
    assert by_status == {
        "pass": [
            "upgrade/cluster/images",
            "upgrade/control-plane-1/kubeadm",
            "upgrade/control-plane-1/upgrade-plan",
            "upgrade/control-plane-1/upgrade-diff",
            "upgrade/cluster/version-skew",
        ],
        "fail": ["upgrade/control-plane-1/upgrade-apply"],
        "skip": ["upgrade/workload/kept-answering"],
    }, (checks, done.stderr[-3000:])
    said = next(c["message"] for c in checks if c["status"] == "fail")
    assert ROLLED_BACK in said and "kube-apiserver" in said, said


@pytest.mark.timeout(2 * API_BACK_S + DNS_BACK_S + 660)
def test_after_the_rollback_the_cluster_is_at_the_old_release_and_passes_the_standard_base(
    old_cluster: Brought, tmp_path: Path
) -> None:
    clock = time.monotonic()
    served = wait_for_version(old_cluster, FROM_VERSION)
    assert served == FROM_VERSION, f"the API server runs {served} after the rollback"
    answering = time.monotonic()
    unsettled = wait_for_control_plane(old_cluster.cluster.admin_conf, API_BACK_S)
    assert not unsettled, f"{API_BACK_S:g}s after the rollback: {unsettled}"
    old_cluster.figures["settled_after_rollback_s"] = round(time.monotonic() - clock, 1)
    with api_of(old_cluster) as api:
        unresolved = wait_for_dns_to_learn_a_new_service(api)
    assert not unresolved, unresolved
    old_cluster.figures["dns_after_api_back_s"] = round(time.monotonic() - answering, 1)
    with api_of(old_cluster) as api:
        assert set(kubelet_versions(api).values()) == {FROM_VERSION}
        kubeadm_config = api.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
        cluster_config = yaml.safe_load(kubeadm_config["data"]["ClusterConfiguration"])
        assert cluster_config["kubernetesVersion"] == FROM_VERSION
    assert kubeadm_record.load(old_cluster.state)["version"] == FROM_VERSION
    ran = run_cluster(old_cluster.cluster.admin_conf, tmp_path)
    old_cluster.figures["standard_base_old_s"] = round(ran.wall_s, 1)
    ran.assert_passed()
    older = {c["id"] for c in ran.checks if OLDER_RELEASE in c["message"]}
    assert older == SERVED_FROM_1_37, older


def wait_for_dns_to_learn_a_new_service(api: Client) -> str:
    """'' once a pod resolves the name of a Service made now, else what it said when
    ``DNS_BACK_S`` has passed: the cluster's DNS back to what the Standard Base asks of it.
    The namespace (the pod, the Service) is deleted after, and not waited for."""
    namespace = f"kvu-{DNS_CHECK}-{secrets.token_hex(3)}"
    name = f"{DNS_CHECK}.{namespace}.svc.cluster.local"
    api.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    try:
        api.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/services",
            {"metadata": {"name": DNS_CHECK}, "spec": {"ports": [{"port": 80}]}},
        )
        script = f"until nslookup {name}; do sleep 2; done"
        pod = {
            "metadata": {"name": DNS_CHECK},
            "spec": {
                "restartPolicy": "Never",
                "activeDeadlineSeconds": DNS_BACK_S,
                "containers": [
                    {
                        "name": "lookup",
                        "image": BUSYBOX,
                        "imagePullPolicy": "Never",
                        "command": ["sh", "-c", script],
                    }
                ],
            },
        }
        deadline = time.monotonic() + DNS_BACK_S + 30
        while True:  # the namespace's ServiceAccount comes a moment after the namespace
            try:
                api.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod)
                break
            except ApiError as error:
                if error.status != 403 or time.monotonic() >= deadline:
                    raise
                time.sleep(1)
        phase = ""
        while time.monotonic() < deadline:
            found = api.get(f"/api/v1/namespaces/{namespace}/pods/{DNS_CHECK}")
            phase = str((found.get("status") or {}).get("phase", ""))
            if phase == "Succeeded":
                return ""
            if phase == "Failed":
                break
            time.sleep(2)
        return f"{name} did not resolve within {DNS_BACK_S}s (the pod is {phase or 'not started'})"
    finally:
        api.request("DELETE", f"/api/v1/namespaces/{namespace}")


def wait_for_version(brought: Brought, wanted: str) -> str:
    """The API server's gitVersion once it is ``wanted``, or the last one seen (or the last
    error) when ``API_BACK_S`` has passed: after a rollback the kubelet starts the old API
    server again, which takes its time."""
    deadline = time.monotonic() + API_BACK_S
    seen = "no answer"
    while time.monotonic() < deadline:
        try:
            with api_of(brought) as api:
                seen = str(api.get("/version")["gitVersion"])
                if seen == wanted and api.raw("GET", "/readyz", deadline_s=5).status == 200:
                    return seen
        except Exception as error:  # the API server is still coming back
            seen = f"no answer ({type(error).__name__})"
        time.sleep(2)
    return seen


@pytest.mark.timeout(UPGRADE_TIMEOUT_S + 60)
def test_the_upgrade_passes_every_step_and_the_workload_never_goes_unanswered(
    old_cluster: Brought, tmp_path: Path
) -> None:
    old_cluster.figures["apiserver_serial"] = apiserver_serial(old_cluster)
    done, checks, took = run_upgrade(old_cluster, tmp_path)
    old_cluster.figures["upgrade_s"] = took
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
    last = [
        "upgrade/cluster/addons",
        "upgrade/cluster/version-skew",
        "upgrade/workload/kept-answering",
    ]
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
            assert images.get(component) == [f"registry.k8s.io/{component}:{TO_VERSION}"], images
        assert images.get("etcd") == [f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}"], images
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


NODE_TIER_S = 120.0
PREFLIGHT_CONFIG = "/etc/kubeadm-verify/preflight-after-upgrade.yaml"
PREFLIGHT_CONFIG_TEXT = (
    f"apiVersion: {API_VERSION}\nkind: InitConfiguration\n"
    f"nodeRegistration:\n  criSocket: {CRI_SOCKET}\n---\n"
    f"apiVersion: {API_VERSION}\nkind: ClusterConfiguration\nkubernetesVersion: {TO_VERSION}\n"
)
"""A control plane's preflight at the new release: ``init phase preflight`` has no
``--kubernetes-version`` (without a config it would look the release up on the internet)."""


@pytest.mark.timeout(len(("cp", "w1", "w2")) * 2 * NODE_TIER_S + 60)
def test_the_node_tier_on_every_upgraded_node_agrees_with_kubeadm_s_preflight(
    old_cluster: Brought,
) -> None:
    """On every node after the upgrade, ``kubeadm-verify node`` at the new release, for the
    node's role, beside the new kubeadm's own preflight for the same node (``init phase
    preflight`` on the control plane, ``join phase preflight`` on a worker), both with every
    error ignored so that each check is named or passes: check by check the same verdicts, and
    the kubelet on the node's PATH at the new release passes kubeadm's KubeletVersion."""
    state = old_cluster.state
    found = nodes_record.load(state)
    assert found is not None
    parts = ensure_node_parts(TO_VERSION)
    env = {
        name: value
        for name, value in python_env(command_env(path_dirs(parts))).items()
        if not name.startswith("KUBEADM_VERIFY_")
    }
    first = next(e for e in found.nodes if e.control_plane)
    endpoint = f"{first.address}:6443"
    made = in_node(  # join's preflight runs after discovery: a token that exists, for minutes
        first, [KUBEADM_IN_NODE, "token", "create", "--ttl", "10m"], NODE_TIER_S, env
    )
    assert made.returncode == 0, made.stderr[-2000:]
    token = made.stdout.strip()
    tables: list[str] = []
    differences: dict[str, object] = {}
    for entry in found.nodes:
        if entry.control_plane:  # kubeadm's init preflight takes the release from a config only
            holder = next(p for p in entry.processes if p.component == "holder")
            install_in_running_node(
                holder, None, PREFLIGHT_CONFIG, text=PREFLIGHT_CONFIG_TEXT, mode=0o600
            )
            wanted = ["--config", PREFLIGHT_CONFIG]
            phase = ["init", "phase", "preflight", "--config", PREFLIGHT_CONFIG]
        else:
            wanted = ["--role", "worker", "--kubernetes-version", TO_VERSION]
            skip_ca = "--discovery-token-unsafe-skip-ca-verification"
            phase = ["join", "phase", "preflight", endpoint, "--token", token, skip_ca]
        ours = in_node(
            entry,
            [
                sys.executable,
                "-m",
                "kubeadm_verify",
                "node",
                *wanted,
                "--ignore-preflight-errors",
                "all",
                "--format",
                "json",
                "--output-dir",
                "/var/lib/kubeadm-verify/node-tier-after-upgrade",
            ],
            NODE_TIER_S,
            env,
        )
        assert ours.returncode in (0, 1), (entry.name, ours.returncode, ours.stderr[-2000:])
        results = json.loads(ours.stdout)
        theirs = in_node(
            entry,
            [KUBEADM_IN_NODE, *phase, "--dry-run", "--ignore-preflight-errors", "all"],
            NODE_TIER_S,
            env,
        )
        said = theirs.stdout + theirs.stderr
        assert "[preflight] Running pre-flight checks" in said, (entry.name, said[-2000:])
        lined = line_up(entry.name, said, results)
        tables.append(lined.table())
        assert len(lined.rows) >= (20 if entry.control_plane else 12), lined.table()
        if lined.differ or lined.unknown_to_us:
            differences[entry.name] = (lined.differ, lined.unknown_to_us)
        kubelet = next(c for c in results["checks"] if c["id"] == "KubeletVersion")
        assert kubelet["status"] == "pass", (entry.name, kubelet)
    print("\n" + "\n".join(tables), file=sys.stderr)
    assert not differences, differences


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
