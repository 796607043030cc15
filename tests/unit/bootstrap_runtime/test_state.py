"""The state dir: kubeadm's layout, owner-only modes, process and cluster records."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bootstrap.runtime.state import (
    ClusterRecord,
    ProcessRecord,
    StateDir,
    check_name,
    default_state_dir,
)
from kubeadm_verify.errors import UsageError


def record(component: str, pid: int) -> ProcessRecord:
    return ProcessRecord(
        component, pid, 1234, "boot", ("/bin/x", "--a=1"), f"/l/{component}.log", "abc"
    )


def test_layout_follows_etc_kubernetes(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "c", "c")
    assert state.admin_conf == tmp_path / "c" / "admin.conf"
    assert state.kubeconfig("super-admin") == tmp_path / "c" / "super-admin.conf"
    assert state.manifest("etcd") == tmp_path / "c" / "manifests" / "etcd.yaml"
    assert state.log("kube-apiserver") == tmp_path / "c" / "logs" / "kube-apiserver.log"
    state.create()
    for path in (state.root, state.pki, state.manifests, state.etcd_data, state.logs, state.tmp):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_process_records_round_trip(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "c", "c")
    state.add_process(record("etcd", 10))
    state.add_process(record("kube-apiserver", 11))
    state.add_process(record("etcd", 12))  # a restart replaces the component's record
    assert [(r.component, r.pid) for r in state.processes()] == [
        ("kube-apiserver", 11),
        ("etcd", 12),
    ]
    assert state.processes()[1] == record("etcd", 12)
    state.forget_processes({11})
    assert [r.pid for r in state.processes()] == [12]
    assert stat.S_IMODE((state.root / "processes.json").stat().st_mode) == 0o600


def test_cluster_record_merges(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "c", "c")
    assert state.cluster_record() == ClusterRecord()
    assert not state.cluster_record().recorded
    state.update_cluster_record(ports={"bind_port": 1})
    state.update_cluster_record(bin_dir="/bin")
    assert state.cluster_record() == ClusterRecord(ports={"bind_port": 1}, bin_dir="/bin")
    assert state.cluster_record().recorded
    assert json.loads((state.root / "cluster.json").read_text()) == {
        "ports": {"bind_port": 1},
        "bin_dir": "/bin",
    }


def test_cluster_record_refuses_an_unknown_field_and_a_damaged_file(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "c", "c")
    with pytest.raises(TypeError):
        state.update_cluster_record(port=1)
    state.root.mkdir(parents=True, exist_ok=True)
    for damaged in ({"ports": {"bind_port": "6443"}}, {"tokens": "abc"}, {"bin_dir": 3}):
        (state.root / "cluster.json").write_text(json.dumps(damaged))
        with pytest.raises(UsageError, match="wrong type"):
            state.cluster_record()


def test_names_are_directory_safe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_state_dir("dev") == tmp_path / "kubeadm-verify" / "clusters" / "dev"
    assert check_name("pytest-1124-ab12-gw0") == "pytest-1124-ab12-gw0"
    for bad in ("", "../x", "A", "a/b", "-a"):
        with pytest.raises(UsageError):
            check_name(bad)


def test_corrupt_record_is_a_usage_error(tmp_path: Path) -> None:
    state = StateDir(tmp_path, "c")
    (tmp_path / "processes.json").write_text("{not json")
    with pytest.raises(UsageError, match="unreadable state record"):
        state.processes()
