"""The parts of ``up --nodes``'s overlap that need no process: the control-plane kubelet's
configuration, giving up on staging workers between steps, their failures reaching the
caller."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.kubeadm import objects
from bootstrap.kubeadm.config import default_config
from bootstrap.runtime.nodes.addressing import Plan
from bootstrap.runtime.nodes.record import NodesRecord
from bootstrap.runtime.nodes.staging import Aborted, Staged, _check
from bootstrap.runtime.nodes.upnodes import kubelet_configuration
from bootstrap.runtime.state import StateDir


def test_control_plane_kubelet_reads_what_the_configmap_holds() -> None:
    """The control-plane kubelet, started without discovery, is configured from init's own
    KubeletConfiguration: exactly what ``upload-config/kubelet`` puts in the ConfigMap that
    the workers read."""
    config = default_config("node-a")
    configmap = objects.kubelet_config_objects(objects.kubelet_configuration(config))[0]
    assert kubelet_configuration(config) == yaml.safe_load(configmap["data"]["kubelet"])


def _staged(tmp_path: Path) -> Staged:
    state = StateDir(tmp_path, "c")
    nothing: Any = None  # no parts, no recorder: these tests start no process
    return Staged(state, NodesRecord(Plan("abc123", 1, "10.244.0.0/16")), [], nothing, nothing)


def test_settle_stops_workers_between_steps_and_waits_for_them(tmp_path: Path) -> None:
    staged = _staged(tmp_path)
    staged.pool = ThreadPoolExecutor(max_workers=1)
    started, steps = threading.Event(), []

    def worker() -> None:
        started.set()
        while True:
            _check(staged)
            steps.append(1)
            threading.Event().wait(0.01)

    staged.loaded["n1"] = staged.pool.submit(worker)
    started.wait(5)
    staged.settle()
    assert staged.pool is None
    assert isinstance(staged.loaded["n1"].exception(), Aborted)
    count = len(steps)
    threading.Event().wait(0.05)
    assert len(steps) == count


def test_wait_images_raises_a_node_s_failure(tmp_path: Path) -> None:
    staged = _staged(tmp_path)
    failed: Future[None] = Future()
    failed.set_exception(RuntimeError("ctr import failed"))
    staged.loaded["n1"] = failed
    with pytest.raises(RuntimeError, match="ctr import failed"):
        staged.wait_images()
