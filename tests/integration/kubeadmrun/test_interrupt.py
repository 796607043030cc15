"""SIGINT in the middle of ``kubeadm init``, and of ``kubeadm join --control-plane`` (its etcd
member announced, its static pods starting): the bring-up stops kubeadm, tears down every node
it made (their namespaces, processes, cgroups, runtime dir, the load balancer, the host record)
and re-raises; the host is left as it was found."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootstrap.runtime.nodes.addressing import cluster_id
from bootstrap.runtime.nodes.layout import MACHINE_ROOT
from bootstrap.runtime.state import StateDir
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
MID_INIT = ("n0", "etc/upper/kubernetes/manifests/kube-apiserver.yaml", 1, 1)
"""Written by ``kubeadm init``'s control-plane phase: init is under way, the kubelet starting
its static pods (one control plane, one worker)."""
MID_JOIN = ("n1", "etc/upper/kubernetes/manifests/etcd.yaml", 2, 0)
"""Written by ``kubeadm join --control-plane`` once it has announced the new etcd member (two
control planes, no worker)."""
BRING_UP = (
    "import sys\n"
    "from bootstrap.runtime.bringup import start\n"
    "from bootstrap.runtime.spec import ClusterSpec, default_config\n"
    "start(ClusterSpec(sys.argv[1], default_config(), nodes=int(sys.argv[3]),"
    " kubeadm='pinned', control_planes=int(sys.argv[2])), log=print)\n"
)


def _wait_for(path: Path, child: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert child.poll() is None, child.communicate()[0]
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout:.0f}s"
        time.sleep(0.05)


@pytest.mark.parametrize("moment", [MID_INIT, MID_JOIN], ids=["init", "join-control-plane"])
def test_sigint_mid_kubeadm_tears_everything_down(moment: tuple[str, str, int, int]) -> None:
    node, marker, control_planes, workers = moment
    before = hostscope.take()
    state = StateDir.for_cluster(f"kvc-int-{secrets.token_hex(3)}")
    cid = cluster_id(state.root)
    here = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, "-c", BRING_UP, state.name, str(control_planes), str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        _wait_for(MACHINE_ROOT / cid / node / marker, child, 300)
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=240)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    try:
        assert child.returncode != 0, output
        assert "SignalInterrupt: signal 2" in output  # Ctrl-C, as the one bring-up raises it
        assert not state.root.exists()  # its records and logs go with everything else
        assert not (MACHINE_ROOT / cid).exists()
        assert hostscope.naming(MACHINE_ROOT / cid) == []
        differences = hostscope.left_behind(before, cid)
        assert not differences, differences
    finally:
        shutil.rmtree(state.root, ignore_errors=True)
