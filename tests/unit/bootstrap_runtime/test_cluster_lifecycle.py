"""up/down bookkeeping that needs no process: claiming a state dir, down's no-op, the CLI verbs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases.api import collection_path
from bootstrap.runtime.bringup import claim as _claim
from bootstrap.runtime.cluster import down, resolve
from bootstrap.runtime.state import StateDir
from kubeadm_verify.cli import main
from kubeadm_verify.errors import UsageError


def test_down_of_a_missing_cluster_is_a_no_op(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not down("ghost", state_dir=tmp_path / "ghost")
    assert main(["down", "--name", "ghost", "--state-dir", str(tmp_path / "ghost")]) == 0
    assert "nothing to do" in capsys.readouterr().err


def test_down_refuses_a_directory_that_is_not_a_state_dir(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not a kubeadm-verify state dir"):
        down("mine", state_dir=tmp_path / "mine")
    assert (tmp_path / "mine" / "precious.txt").exists()


def test_down_removes_a_state_dir_whose_processes_are_gone(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "old", "old")
    state.create()
    state.update_cluster_record(name="old")
    (state.root / "processes.json").write_text(
        json.dumps(
            {
                "processes": [
                    {
                        "component": "etcd",
                        "pid": 1,
                        "start_ticks": 1,
                        "boot_id": "x",
                        "argv": ["etcd"],
                        "log": "l",
                    }
                ]
            }
        )
    )
    assert down("old", state_dir=state.root, log=lambda line: None)
    assert not state.root.exists()


def test_up_reclaims_a_dead_clusters_dir_but_not_a_foreign_one(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "dead", "dead")
    state.create()
    state.update_cluster_record(name="dead")
    _claim(state)
    assert not state.root.exists()
    foreign = StateDir(tmp_path / "foreign", "foreign")
    foreign.root.mkdir()
    (foreign.root / "x").write_text("")
    with pytest.raises(UsageError, match="not a kubeadm-verify state dir"):
        _claim(foreign)


def test_resolve_is_stable_across_calls(tmp_path: Path, config: BootstrapConfig) -> None:
    from dataclasses import replace

    from bootstrap.kubeadm.configtypes import APIEndpoint, LocalPorts

    zeroed = replace(config, endpoint=APIEndpoint("127.0.0.1", 0), ports=LocalPorts(0, 0, 0, 0, 0))
    state = StateDir(tmp_path / "c", "c")
    first, again = resolve(zeroed, state), resolve(zeroed, state)
    assert first == again
    assert first.bootstrap_tokens[0].token
    assert first.endpoint.bind_port > 0


def test_unknown_phase_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["phase", "nope", "--name", "x", "--state-dir", str(tmp_path / "x")]) == 2
    assert "unknown phase 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        (
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": "kube-system"}},
            "/api/v1/namespaces/kube-system/secrets",
        ),
        (
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {},
            },
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        ),
        (
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"namespace": "kube-system"},
            },
            "/apis/apps/v1/namespaces/kube-system/daemonsets",
        ),
        (
            {"apiVersion": "v1", "kind": "Node", "metadata": {"namespace": "ignored"}},
            "/api/v1/nodes",
        ),
    ],
)
def test_collection_paths(obj: dict[str, object], path: str) -> None:
    assert collection_path(obj) == path


def test_a_stray_cluster_json_does_not_make_a_dir_ours(tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "cluster.json").write_text("{}")
    (stray / "processes.json").write_text('{"processes": []}')
    (stray / "notes.txt").write_text("keep me")
    state = StateDir(stray, "stray")
    assert not state.is_ours()
    with pytest.raises(UsageError, match="not a kubeadm-verify state dir"):
        down("stray", state_dir=stray)
    with pytest.raises(UsageError, match="not a kubeadm-verify state dir"):
        _claim(state)
    with pytest.raises(UsageError, match="not a kubeadm-verify state dir"):
        state.create()
    assert sorted(p.name for p in stray.iterdir()) == [
        "cluster.json",
        "notes.txt",
        "processes.json",
    ]


def test_a_dir_we_create_carries_the_marker(tmp_path: Path) -> None:
    from bootstrap.runtime.state import MARKER

    state = StateDir(tmp_path / "ours", "ours")
    state.create()
    assert state.is_ours() and (state.root / MARKER).is_file()
    assert down("ours", state_dir=state.root, log=lambda line: None)
    assert not state.root.exists()


def test_external_etcd_is_refused_by_up_not_dropped(
    config: BootstrapConfig, tmp_path: Path
) -> None:
    from dataclasses import replace

    from bootstrap.kubeadm.configtypes import ExternalEtcd

    external = replace(
        config,
        cluster=replace(config.cluster, etcd_external=ExternalEtcd(("https://192.0.2.5:2379",))),
    )
    with pytest.raises(UsageError, match=r"etcd\.external"):
        resolve(external, StateDir(tmp_path / "x", "x"))
    assert not (tmp_path / "x").exists()
