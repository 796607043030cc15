"""Rendering a node's configuration: containerd, CNI, kubelet, Corefile (no process started)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from bootstrap.runtime.nodes import podnet
from bootstrap.runtime.nodes.kubeletcfg import host_settings, kubelet_argv, kubelet_configuration
from bootstrap.runtime.nodes.layout import NodeLayout
from bootstrap.runtime.nodes.offline import offline_corefile
from bootstrap.runtime.nodes.runtime import (
    CLOSED_REGISTRY,
    containerd_config,
    registry_hosts,
    shim_sockets,
)
from bootstrap.upstream.nodeparts import NodeParts
from tests.unit.debiantools import DEBIAN_TOOLS

BASE = {
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "kind": "KubeletConfiguration",
    "cgroupDriver": "systemd",
    "clusterDNS": ["10.96.0.10"],
    "authentication": {"x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
    "staticPodPath": "/etc/kubernetes/manifests",
}


@pytest.fixture
def layout(tmp_path: Path) -> NodeLayout:
    return NodeLayout(tmp_path / "runtime" / "n1", "kvn-node-1")


@pytest.fixture
def parts(tmp_path: Path) -> NodeParts:
    host = DEBIAN_TOOLS
    return NodeParts(tmp_path / "parts", tmp_path / "bin", host, "v1.37.2")


def test_containerd_config_keeps_everything_in_the_node_dir(
    layout: NodeLayout, parts: NodeParts
) -> None:
    config = tomllib.loads(containerd_config(layout, parts, restrict_oom=True))
    assert config["version"] == 3
    assert config["grpc"]["address"] == str(layout.socket)
    for key in ("root", "state", "temp"):
        assert config[key].startswith(str(layout.root))
    plugins = config["plugins"]
    runtime = plugins["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["netns_mounts_under_state_dir"] is True
    assert runtime["enable_cdi"] is False
    assert runtime["cni"] == {"bin_dirs": ["/usr/lib/cni"], "conf_dir": str(layout.cni_conf_dir)}
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["options"] == {
        "BinaryName": "/usr/sbin/runc",
        "SystemdCgroup": False,
        "Root": str(layout.containerd / "runc"),
    }
    images = plugins["io.containerd.cri.v1.images"]
    assert images["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10.2"
    assert images["registry"]["config_path"] == str(layout.registry_hosts)
    assert plugins["io.containerd.nri.v1.nri"]["disable"] is True
    assert plugins["io.containerd.internal.v1.opt"]["path"].startswith(str(layout.root))


def test_oom_restriction_only_when_asked(layout: NodeLayout, parts: NodeParts) -> None:
    config = tomllib.loads(containerd_config(layout, parts, restrict_oom=False))
    assert config["plugins"]["io.containerd.cri.v1.runtime"]["restrict_oom_score_adj"] is False


def test_every_registry_resolves_to_a_closed_loopback_port() -> None:
    hosts = tomllib.loads(registry_hosts())
    assert hosts["server"] == CLOSED_REGISTRY
    assert set(hosts["host"]) == {CLOSED_REGISTRY}
    assert CLOSED_REGISTRY.startswith("https://127.0.0.1:")


def test_conflist_bridge_without_masquerade_and_node_range(tmp_path: Path) -> None:
    path = podnet.write_conflist(tmp_path, "10.244.3.0/24", tmp_path / "ipam")
    conf = json.loads(path.read_text())
    bridge, portmap = conf["plugins"]
    assert bridge["type"] == "bridge" and bridge["isGateway"] is True
    assert bridge["ipMasq"] is False
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.244.3.0/24"}]]
    assert bridge["ipam"]["dataDir"] == str(tmp_path / "ipam")
    assert portmap["capabilities"] == {"portMappings": True}


def test_masquerade_spares_the_pod_network() -> None:
    argv = podnet.masquerade_argv(
        Path("/usr/bin/nsenter"),
        Path("/run/netns/kvn-x-n1"),
        Path("/usr/sbin/xtables-nft-multi"),
        "10.244.1.0/24",
        "10.244.0.0/16",
    )
    assert argv[:3] == ["/usr/bin/nsenter", "--net=/run/netns/kvn-x-n1", "--"]
    assert argv[argv.index("-A") :] == [
        "-A",
        "POSTROUTING",
        "-s",
        "10.244.1.0/24",
        "!",
        "-d",
        "10.244.0.0/16",
        "-j",
        "MASQUERADE",
    ]


@pytest.mark.parametrize(
    ("v1", "systemd", "expected"),
    [
        (True, False, {"cgroupDriver": "cgroupfs", "failCgroupV1": False}),
        (False, False, {"cgroupDriver": "cgroupfs"}),
        (True, True, {"failCgroupV1": False}),
        (False, True, {}),
    ],
)
def test_host_settings_only_where_needed(
    v1: bool, systemd: bool, expected: dict[str, object]
) -> None:
    assert host_settings(v1, systemd) == expected


def test_kubelet_configuration_keeps_the_clusters_and_adds_the_nodes(layout: NodeLayout) -> None:
    config = kubelet_configuration(BASE, layout, "/kvn-abc-n1", cgroup_v1=True, systemd=False)
    assert config["clusterDNS"] == ["10.96.0.10"]
    assert config["cgroupRoot"] == "/kvn-abc-n1"
    assert config["podLogsDir"] == str(layout.pod_logs)
    assert config["staticPodPath"] == str(layout.manifests)
    assert config["authentication"]["x509"]["clientCAFile"] == str(layout.ca)
    assert config["containerRuntimeEndpoint"] == f"unix://{layout.socket}"
    assert config["failCgroupV1"] is False and config["cgroupDriver"] == "cgroupfs"
    assert BASE["cgroupDriver"] == "systemd"  # the ConfigMap's copy is untouched


def test_the_hosts_disk_is_left_to_the_host(layout: NodeLayout) -> None:
    base = {**BASE, "imageGCHighThresholdPercent": 85, "evictionHard": {"imagefs.available": "15%"}}
    config = kubelet_configuration(base, layout, "/r", cgroup_v1=False, systemd=True)
    assert config["imageGCHighThresholdPercent"] == 100
    assert config["imageGCHighThresholdPercent"] > config.get("imageGCLowThresholdPercent", 80)
    hard = config["evictionHard"]
    assert {hard[k] for k in hard if k.split(".")[0] in ("nodefs", "imagefs")} == {"0%"}
    assert hard["memory.available"] == "100Mi"  # the default a partial map would drop


def test_missing_resolv_conf_falls_back(layout: NodeLayout) -> None:
    base = {**BASE, "resolvConf": "/nonexistent/resolv.conf"}
    config = kubelet_configuration(base, layout, "/r", cgroup_v1=False, systemd=True)
    assert config["resolvConf"] == "/etc/resolv.conf"


def test_kubelet_runs_in_the_network_namespace_only(layout: NodeLayout) -> None:
    argv = kubelet_argv(
        Path("/bin/kubelet"),
        Path("/usr/bin/nsenter"),
        Path("/run/netns/kvn-x-n1"),
        layout,
        "10.213.1.6",
    )
    assert argv[:4] == ["/usr/bin/nsenter", "--net=/run/netns/kvn-x-n1", "--", "/bin/kubelet"]
    assert not any(arg.startswith("--mount") for arg in argv)
    assert f"--bootstrap-kubeconfig={layout.bootstrap_kubeconfig}" in argv
    assert "--node-ip=10.213.1.6" in argv and "--hostname-override=kvn-node-1" in argv


def test_offline_corefile_serves_the_cluster_and_never_forwards() -> None:
    corefile = offline_corefile("cluster.local")
    assert "forward" not in corefile
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa" in corefile
    assert "rcode NXDOMAIN" in corefile
    assert corefile.startswith("cluster.local:53 ")


def test_kubelet_configuration_is_yaml_serialisable(layout: NodeLayout) -> None:
    config = kubelet_configuration(BASE, layout, "/r", cgroup_v1=True, systemd=False)
    assert yaml.safe_load(yaml.safe_dump(config)) == config


def test_shim_sockets_are_read_from_the_task_dirs(layout: NodeLayout) -> None:
    task = layout.containerd / "state" / "io.containerd.runtime.v2.task" / "k8s.io" / "abc"
    task.mkdir(parents=True)
    (task / "address").write_text("unix:///run/containerd/s/0123abcd\n")
    other = task.parent / "def"
    other.mkdir()
    (other / "address").write_text("unix:///somewhere/else\n")
    assert shim_sockets(layout) == [Path("/run/containerd/s/0123abcd")]
