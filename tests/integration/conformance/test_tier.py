"""The whole Standard Base against a real cluster with simulated nodes, through the CLI.

It passes, skipping only what needs a real kubelet or DNS (with that reason); it leaves nothing
behind; ``--parallel`` shares the one cluster; ``--up`` brings its own and removes it;
``--cleanup`` removes what an interrupted run left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.runtime.handle import ClusterHandle
from bootstrap.upstream.versions import cache_root
from conformance.standard_base.builders import RUN_LABEL
from conformance.standard_base.cleanup import KINDS
from conformance.standard_base.kube import Kube
from conformance.standard_base.nodes import SUITE_PREFIX
from tests.integration.conformance.conftest import REPO, run_cli
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
ALLOWED_SKIPS = ("needs real-kubelet:", "needs dns:", "no node carries the control-plane label")


@pytest.fixture(scope="module")
def kube(verify_cluster: ClusterHandle) -> Iterator[Kube]:
    api_client = verify_cluster.api_client()
    try:
        yield Kube(api_client)
    finally:
        api_client.close()


def leftovers(kube: Kube) -> list[str]:
    """Everything any run of the suite made that still exists (terminating included)."""
    found = [
        f"{kind}/{item.metadata.name}"
        for kind, (lister, _) in KINDS.items()
        for item in lister(kube, RUN_LABEL)
    ]
    for node in kube.core.list_node().items:
        found += [
            f"node {node.metadata.name} label {key}"
            for key in node.metadata.labels or {}
            if key.startswith(SUITE_PREFIX)
        ]
        found += [
            f"node {node.metadata.name} taint {t.key}"
            for t in node.spec.taints or []
            if t.key.startswith(SUITE_PREFIX)
        ]
    return found


def kubeconfig_args(handle: ClusterHandle) -> list[str]:
    return ["--kubeconfig", str(handle.kubeconfig), "--context", str(handle.context)]


def test_the_whole_tier_passes_and_leaves_nothing(
    verify_cluster: ClusterHandle, kube: Kube, tmp_path: Path
) -> None:
    run = run_cli(*kubeconfig_args(verify_cluster), output=tmp_path)
    checks = run.results["checks"]
    assert run.code == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert not run.by_status("fail") and not run.by_status("error") and not run.by_status("warn")
    assert len(run.by_status("pass")) >= 55
    odd = [
        (c["id"], c["message"])
        for c in checks
        if c["status"] == "skip" and not c["message"].startswith(ALLOWED_SKIPS)
    ]
    assert not odd, f"skipped for another reason: {odd}"
    assert {c["id"].split("/")[0] for c in checks if c["status"] == "pass"} >= {
        "api-machinery",
        "auth",
        "kubeadm",
        "apps",
        "scheduling",
        "network",
        "node",
    }
    assert (tmp_path / "cluster" / "junit.xml").is_file()
    assert leftovers(kube) == []


def test_a_short_last_test_does_not_pay_for_the_namespaces_deleted_before_it(
    verify_cluster: ClusterHandle, tmp_path: Path
) -> None:
    """On a cluster the run does not own, the namespaces its tests deleted are awaited once the
    session finishes. Awaited in a session fixture's teardown, that wait ran in the last test's
    teardown, inside its timeout: a run ending with a test bounded at 10 s reported it as an
    error ("teardown failed: Timeout"), a false one."""
    run = run_cli(
        *kubeconfig_args(verify_cluster),
        "--focus",
        "^(storage/pv-pvc-status|node/node-object-lifecycle|api-machinery/kubectl-version-discovery)$",
        output=tmp_path,
    )
    assert run.code == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert sorted(run.by_status("pass")) == [
        "api-machinery/kubectl-version-discovery",
        "node/node-object-lifecycle",
        "storage/pv-pvc-status",
    ], run.stdout[-3000:]


def test_parallel_workers_share_the_cluster(
    verify_cluster: ClusterHandle, kube: Kube, tmp_path: Path
) -> None:
    # A worker that brought up its own cluster would name it pytest-<run id>; other clusters
    # (other users of this machine) come and go meanwhile and are none of this test's business.
    clusters_before = set((cache_root() / "clusters").glob("pytest-*"))
    run = run_cli(
        *kubeconfig_args(verify_cluster),
        "--parallel",
        "2",
        "--focus",
        "^(apps|scheduling|network)/",
        output=tmp_path,
    )
    assert run.code == 0, run.stdout[-3000:]
    ids = [c["id"] for c in run.results["checks"]]
    assert len(ids) == len(set(ids)) >= 15
    assert all(i.split("/")[0] in ("apps", "scheduling", "network") for i in ids)
    assert set((cache_root() / "clusters").glob("pytest-*")) == clusters_before
    assert leftovers(kube) == []


def test_up_brings_up_a_cluster_and_removes_it(tmp_path: Path) -> None:
    clusters_before = set((cache_root() / "clusters").glob("verify-*"))
    run = run_cli(
        "--up", "--focus", "^kubeadm/(cluster-info|bootstrap-token-auth)$", output=tmp_path
    )
    assert run.code == 0, run.stderr[-2000:]
    assert sorted(run.by_status("pass")) == ["kubeadm/bootstrap-token-auth", "kubeadm/cluster-info"]
    # Other `--up` runs (the catch table's, on other workers) come and go meanwhile: a cluster
    # folder that appeared is ours to have removed unless a live process of another run uses it.
    # Another run's folder can be caught before its first process starts or after its last one
    # stopped; a moment later it has processes or is gone, while a leak of ours stays.
    assert _unowned_clusters(clusters_before, within_s=30.0) == []


def _unowned_clusters(before: set[Path], within_s: float) -> list[Path]:
    deadline = time.monotonic() + within_s
    while True:
        appeared = set((cache_root() / "clusters").glob("verify-*")) - before
        unowned = sorted(folder for folder in appeared if not hostscope.naming(folder))
        if not unowned or time.monotonic() >= deadline:
            return unowned
        time.sleep(1.0)


def test_cleanup_removes_what_an_interrupted_run_left(
    verify_cluster: ClusterHandle, kube: Kube, tmp_path: Path
) -> None:
    labels = {RUN_LABEL: "0101000000-dead"}
    kube.core.create_namespace({"metadata": {"name": "kv-left-behind", "labels": labels}})
    kube.rbac.create_cluster_role({"metadata": {"name": "kv-left-behind", "labels": labels}})
    kube.core.create_namespaced_secret(
        "kube-system",
        {"metadata": {"name": "kv-left-behind", "labels": labels}, "stringData": {"k": "v"}},
    )
    node = kube.core.list_node().items[0].metadata.name
    kube.core.patch_node(node, {"metadata": {"labels": {f"{SUITE_PREFIX}e2e-left": "42"}}})
    assert len(leftovers(kube)) == 4
    run = run_cli(*kubeconfig_args(verify_cluster), "--cleanup", output=tmp_path)
    assert run.code == 0, run.stderr
    assert "cleanup: removed" in run.stdout
    assert leftovers(kube) == []


def test_ctrl_c_exits_130_and_cleans_up(
    verify_cluster: ClusterHandle, kube: Kube, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "cluster",
            *kubeconfig_args(verify_cluster),
            "--focus",
            "^(api-machinery|apps)/",
            "--output-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    time.sleep(8)  # well into the run: namespaces and objects exist
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "kubeadm-verify: interrupted"

    def settled() -> list[str]:
        return [f for f in leftovers(kube) if not f.startswith("namespaces/")]

    assert settled() == []
