"""Clusters ``kubeadm init`` completes although misconfigured also come up here, to be judged.

"Up" is what kubeadm waits for: the init phases and a healthy control plane, asked as the admin
user. So an apiserver without anonymous access, or authorising everything, comes up; and a
controller-manager missing a controller comes up too, while the fixtures' separate wait names
exactly what did not happen. Each cluster advertises the default route's address, as kubeadm.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.runtime.advertise import default_route_address
from bootstrap.runtime.bringup import start
from bootstrap.runtime.cluster import down
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.spec import ClusterSpec
from bootstrap.runtime.state import StateDir
from bootstrap.runtime.workloads import wait_for_workloads
from kubeadm_verify.errors import BootstrapError
from tests.integration.bootstrap.helpers import assert_nothing_left, recorded

pytestmark = pytest.mark.integration

HEADER = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
UP_BOUND = 90.0


def bring_up(tmp_path: Path, name: str, text: str) -> tuple[ClusterHandle, BootstrapConfig, float]:
    path = tmp_path / "kubeadm.yaml"
    path.write_text(HEADER + text)
    spec = ClusterSpec.local(name, path, state_dir=tmp_path / name)
    began = time.monotonic()
    handle = start(spec, log=lambda line: None)
    return handle, spec.phase_config, time.monotonic() - began


def take_down(handle: ClusterHandle) -> None:
    assert handle.state_dir is not None
    left = recorded(StateDir(handle.state_dir, handle.name))
    assert down(handle.name, state_dir=handle.state_dir, log=lambda line: None)
    assert_nothing_left(*left, handle.state_dir)


@pytest.mark.parametrize(
    "args",
    [
        "apiServer:\n  extraArgs:\n  - {name: anonymous-auth, value: 'false'}\n",
        "apiServer:\n  extraArgs:\n  - {name: authorization-mode, value: AlwaysAllow}\n",
    ],
    ids=["anonymous-auth-false", "authorization-always-allow"],
)
def test_an_apiserver_kubeadm_accepts_comes_up(tmp_path: Path, args: str) -> None:
    handle, config, took = bring_up(tmp_path, "kvboot-apiserver", args)
    try:
        assert took < UP_BOUND
        state = StateDir(handle.state_dir or tmp_path, handle.name)
        address = state.cluster_record().advertise_address
        assert address == (default_route_address() or "127.0.0.1")
        assert f"https://{address}:" in state.admin_conf.read_text()
        wait_for_workloads(config, state, lambda line: None, timeout=60)
    finally:
        take_down(handle)


def test_a_controller_manager_without_the_serviceaccount_controller_comes_up(
    tmp_path: Path,
) -> None:
    """``controllers=*,-serviceaccount`` also drops kubeadm's bootstrapsigner,tokencleaner."""
    handle, config, took = bring_up(
        tmp_path,
        "kvboot-kcm",
        "controllerManager:\n  extraArgs:\n  - {name: controllers, value: '*,-serviceaccount'}\n",
    )
    try:
        assert took < UP_BOUND
        state = StateDir(handle.state_dir or tmp_path, handle.name)
        with pytest.raises(BootstrapError, match="'default' ServiceAccount") as caught:
            wait_for_workloads(config, state, lambda line: None, timeout=15)
        assert "timed out after 15s" in str(caught.value)
    finally:
        take_down(handle)
