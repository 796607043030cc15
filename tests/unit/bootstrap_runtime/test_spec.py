"""``ClusterSpec``: what a local cluster is, checked before anything starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bootstrap.runtime.spec import ClusterSpec
from kubeadm_verify.errors import UsageError

FIXED_PORT = (
    "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
    "localAPIEndpoint: {bindPort: 7443}\n"
)


def test_a_local_spec_frees_kubeadms_default_ports_and_keeps_the_files(tmp_path: Path) -> None:
    config = ClusterSpec.local("c").phase_config
    assert config.endpoint.bind_port == 0
    assert set(vars(config.ports).values()) == {0}
    fixed = tmp_path / "c.yaml"
    fixed.write_text(FIXED_PORT)
    assert ClusterSpec.local("c", fixed).phase_config.endpoint.bind_port == 7443
    as_given = ClusterSpec.local("c", fixed)
    assert ClusterSpec(as_given.name, as_given.config).phase_config.ports == as_given.config.ports


def test_a_spec_runs_preflight_only_with_the_node_checks_handed_over() -> None:
    assert ClusterSpec.local("c").skipped_phases == ("preflight",)
    handed = ClusterSpec.local("c", preflight=lambda settings: None)
    assert handed.skipped_phases == ()


def test_a_spec_puts_its_state_where_it_is_told(tmp_path: Path) -> None:
    spec = ClusterSpec.local("c", state_dir=tmp_path / "here")
    assert spec.state.root == tmp_path / "here"
    assert spec.state.name == "c"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"nodes": -1}, r"--nodes -1: expected a whole number"),
        ({"nodes": True}, r"--nodes True"),
        ({"nodes": -2, "flag_prefix": "--kv-"}, r"--kv-nodes -2"),
        ({"simulated_nodes": -1}, r"-1 simulated nodes"),
    ],
)
def test_a_spec_refuses_impossible_counts_naming_the_flag(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ClusterSpec.local("c", **options)


def test_a_spec_refuses_a_name_that_cannot_be_a_directory() -> None:
    with pytest.raises(UsageError, match="lower-case letters"):
        ClusterSpec.local("../up")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"control_planes": 3}, r"^--control-planes needs --kubeadm$"),
        ({"kubeadm": "pinned", "control_planes": 9}, r"--control-planes 9: expected 1 to 5"),
        ({"kubeadm": "pinned", "simulated_nodes": 2}, r"real nodes only"),
        ({"kubeadm": "/nonexistent/kubeadm"}, r"--kubeadm /nonexistent/kubeadm: not an exec"),
        ({"kubeadm": "pinned", "nodes": 9}, r"--nodes 9: at most 8 with --kubeadm"),
        (
            {"kubeadm": "/nonexistent", "flag_prefix": "--kv-"},
            r"^--kv-kubeadm /nonexistent",
        ),
    ],
)
def test_a_kubeadm_spec_refuses_what_it_cannot_bring_up(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ClusterSpec.local("c", **options)


def test_a_kubeadm_spec_takes_the_pinned_kubeadm_or_a_user_s(tmp_path: Path) -> None:
    assert ClusterSpec.local("c", kubeadm="pinned", nodes=2).kubeadm_binary is None
    mine = tmp_path / "kubeadm"
    mine.write_text("#!/bin/sh\n")
    mine.chmod(0o755)
    assert ClusterSpec.local("c", kubeadm=str(mine)).kubeadm_binary == mine
    assert ClusterSpec.local("c").kubeadm_binary is None
