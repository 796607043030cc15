"""The Debian tools a node needs: found where their packages put them, or named with the
``apt-get install`` line that provides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.runtime.nodes.addressing import Plan
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.state import ProcessRecord
from bootstrap.upstream.nodeparts import debian
from kubeadm_verify.errors import BootstrapError


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(debian, "_SEARCH", ())
    monkeypatch.setattr(debian, "_CNI_DIRS", (str(tmp_path / "cni"),))
    return tmp_path


def _install(directory: Path, *names: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("#!/bin/sh\n")
        (directory / name).chmod(0o755)


def test_everything_missing_is_one_apt_line(nowhere: Path) -> None:
    assert debian.missing_host_tools() == [
        "runc",
        "busybox-static",
        "iptables",
        "netcat-openbsd",
        "util-linux",
        "curl",
        "bind9-dnsutils",
        "containernetworking-plugins",
    ]
    with pytest.raises(BootstrapError, match=r"apt-get install runc busybox-static .*plugins$"):
        debian.find_host_tools()


def test_found_tools_are_absolute_paths(nowhere: Path) -> None:
    _install(
        nowhere, "runc", "busybox", "xtables-nft-multi", "nc.openbsd", "nsenter", "curl", "dig"
    )
    _install(nowhere / "cni", *debian.CNI_PLUGINS)
    tools = debian.find_host_tools()
    assert tools.runc == nowhere / "runc"
    assert tools.iptables == nowhere / "xtables-nft-multi"
    assert tools.cni_bin_dir == nowhere / "cni"
    assert tools.curl == nowhere / "curl"


def test_a_missing_cni_plugin_names_the_package(nowhere: Path) -> None:
    _install(
        nowhere, "runc", "busybox", "xtables-nft-multi", "nc.openbsd", "nsenter", "curl", "dig"
    )
    _install(nowhere / "cni", "bridge", "host-local")
    assert debian.missing_host_tools() == ["containernetworking-plugins"]


def test_the_nodes_record_round_trips() -> None:
    proc = ProcessRecord("kubelet", 42, 1234567, "boot", ("/bin/kubelet", "-v=2"), "/logs/k.log")
    entry = NodeEntry(
        1, "kvn-node-1", "kvn-abc123-n1", "10.213.1.6", "10.244.1.0/24", "/kvn-abc123-n1", [proc]
    )
    nodes = NodesRecord(Plan("abc123", 1, "10.244.0.0/16"), [entry], hub=True)
    again = NodesRecord.from_dict(nodes.as_dict())
    assert again == nodes
    assert again.next_index() == 2


def test_addons_ready_needs_kube_proxy_on_each_node_and_one_coredns() -> None:
    from bootstrap.runtime.nodes.addons import _ready_on

    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    pods = [
        {"spec": {"nodeName": "kvn-node-1"}, **ready},
        {"spec": {"nodeName": "kvn-node-2"}, "status": {"conditions": []}},
    ]
    assert _ready_on(pods) == {"kvn-node-1"}
