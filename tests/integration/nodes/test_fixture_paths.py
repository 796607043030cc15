"""A user's two-test file run with ``pytest --kv-nodes 1`` under a long cache path: both tests
pass, and the session leaves the host as it found it.

The fixtures' state dir is ``<cache>/kubeadm-verify/clusters/pytest-<stamp>-<hex>``; with the
cache reached through a deep directory (as under any ``/home/<user>``, only deeper) the node's
sockets would be far past the 107 bytes a Unix socket's path may have if they lived there. The
deep directory holds a symlink to the real cache, so the built parts, the images and the
host-wide node records are the ones every other cluster on this machine uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootstrap.runtime.nodes.addressing import cluster_id
from bootstrap.runtime.nodes.layout import runtime_dir
from bootstrap.upstream.versions import cache_root
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 420.0
PYTEST = (sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider")
DEEP = "/".join(["a-cache-as-deep-as-a-users-home-can-put-it"] * 3)

TWO_TESTS = """
from kubernetes import client as k8s

from bootstrap.runtime import nodes


def test_both_nodes_are_ready(kv_cluster):
    print("STATE", kv_cluster.state_dir, flush=True)
    api = kv_cluster.api_client()
    try:
        found = k8s.CoreV1Api(api).list_node().items
    finally:
        api.close()
    ready = [
        n.metadata.name
        for n in found
        if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
    ]
    assert len(ready) == 2, ready


def test_kube_proxy_runs_on_each_node_through_its_short_socket(kv_cluster):
    api = kv_cluster.api_client()
    try:
        pods = k8s.CoreV1Api(api).list_namespaced_pod(
            "kube-system", label_selector="k8s-app=kube-proxy"
        ).items
    finally:
        api.close()
    assert sorted(p.status.phase for p in pods) == ["Running", "Running"]
    for node in nodes.nodes_of(kv_cluster.state_dir):
        socket = nodes.layout_of(kv_cluster.state_dir, node.name).socket
        assert socket.is_socket() and len(str(socket)) < 100, socket
"""


def test_a_two_test_file_with_a_real_node_passes_and_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / DEEP
    cache.mkdir(parents=True)
    (cache / "kubeadm-verify").symlink_to(cache_root())
    (tmp_path / "test_two.py").write_text(TWO_TESTS)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KUBEADM_VERIFY_") and k != "KUBECONFIG"
    }
    env.update({"XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    before = hostscope.take()
    started = time.monotonic()
    run = subprocess.run(
        [*PYTEST, "--kv-nodes", "1", "test_two.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    print(f"\n[bench] a two-test file with --kv-nodes 1: {time.monotonic() - started:.1f}s")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout, run.stdout[-4000:]
    state = Path(next(line for line in run.stdout.splitlines() if "STATE " in line).split()[-1])
    assert len(str(state)) > 200 and str(state).startswith(str(cache))
    assert not state.exists()
    runtime = runtime_dir(cluster_id(state))
    assert not runtime.exists()
    assert hostscope.naming(state) == [] and hostscope.naming(runtime) == []
    left = hostscope.unexplained(before, hostscope.take(), cluster_id(state))
    if left:  # a neighbour's pod caught between its start and its cgroup: gone by now
        time.sleep(3.0)
        left = hostscope.unexplained(before, hostscope.take(), cluster_id(state))
    assert not left, left
