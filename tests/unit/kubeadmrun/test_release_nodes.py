"""A kubeadm-driven cluster at another supported release: each node runs its own copy of the
release's kubelet, found first on the PATH kubeadm runs with; ``up --kubeadm`` takes a release
whose pins are known and refuses another in one line, before anything is made."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bootstrap.kubeadmrun import kubeadmconfig, node
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.cli import main
from tests.unit.debiantools import DEBIAN_TOOLS

OLD = "v1.36.3"


def _parts(tmp_path: Path, version: str) -> NodeParts:
    host = DEBIAN_TOOLS
    return NodeParts(tmp_path / "parts", tmp_path / "bin" / version, host, version)


def test_a_node_runs_its_own_kubelet_found_first_on_its_path(tmp_path: Path) -> None:
    parts = _parts(tmp_path, OLD)
    assert node.path_dirs(parts) == [Path("/opt/kubeadm-verify/bin"), tmp_path / "bin" / OLD]
    assert Path(kubeadmconfig.KUBELET_IN_NODE).parent == Path(kubeadmconfig.NODE_BIN_DIR)
    assert Path(kubeadmconfig.KUBEADM_IN_NODE).parent == Path(kubeadmconfig.NODE_BIN_DIR)


def test_up_with_kubeadm_takes_a_supported_release_and_refuses_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    argv = ["up", "--kubeadm", "--state-dir", str(state), "--kubernetes-version", "v1.36.1"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "kubeadm-verify: --kubernetes-version with --kubeadm: Kubernetes v1.36.1: not a release "
        "this suite builds (supported: v1.37.2, v1.36.3)"
    ]
    assert not state.exists()


def test_the_configuration_follows_the_release_and_spares_kube_proxy_the_host_s_sysctl() -> None:
    """kube-proxy v1.36 writes nf_conntrack_max even when the host's is larger, and a node's
    network namespace cannot: its configuration leaves the value to the host. v1.37's checks
    first, so the pinned release's configuration has no KubeProxyConfiguration at all."""
    text = kubeadmconfig.init_config(
        name="kvc-abc123-n0",
        address="10.213.1.254",
        version=OLD,
        pod_subnet="10.245.0.0/16",
        service_subnet="10.96.0.0/12",
        token="abcdef.0123456789abcdef",
        kubelet={},
    )
    _, cluster, _, proxy = yaml.safe_load_all(text)
    assert cluster["kubernetesVersion"] == OLD
    assert proxy == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "conntrack": {"maxPerCore": 0},
    }
    assert kubeadmconfig.kube_proxy_settings("v1.37.2") == {}
    assert kubeadmconfig.kube_proxy_settings("v1.38.0") == {}
