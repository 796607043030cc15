"""Stopping and starting a kubeadm node, at the records: what is refused, and the kubelet unit
recorded in place of the old one (the teardown stops the one the record names)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap.kubeadmrun import outage
from bootstrap.runtime import process
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.addressing import Plan
from bootstrap.runtime.nodes.record import NodesRecord
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.errors import BootstrapError, UsageError

NAME = "kvn-abc123-n1"


def record_of(component: str, pid: int) -> ProcessRecord:
    stat = process.read_stat(pid)
    return ProcessRecord(
        component, pid, stat[1] if stat else 1, process.boot_id(), ("/bin/true",), "/dev/null"
    )


def gone() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def cluster(tmp_path: Path, processes: list[ProcessRecord]) -> StateDir:
    state = StateDir(tmp_path / "c", "c")
    state.create()
    nodes = NodesRecord(Plan("abc123", 1, "10.244.0.0/16"))
    entry = nodes.new_entry(1, NAME, control_plane=True)
    entry.processes = processes
    nodes.nodes.append(entry)
    nodes_record.save(state, nodes)
    return state


def test_a_node_not_in_the_cluster_is_refused_by_name(tmp_path: Path) -> None:
    state = cluster(tmp_path, [])
    with pytest.raises(UsageError, match="no node kvn-abc123-n9"):
        outage.stop_node(state.root, "kvn-abc123-n9")
    with pytest.raises(UsageError, match="no node kvn-abc123-n9"):
        outage.start_node(state.root, "kvn-abc123-n9")


def test_a_node_without_its_namespace_recorded_is_not_stopped(tmp_path: Path) -> None:
    state = cluster(tmp_path, [record_of("kubelet", gone())])
    with pytest.raises(BootstrapError, match="mount namespace is not recorded"):
        outage.stop_node(state.root, NAME)


def test_start_is_refused_while_the_kubelet_runs(tmp_path: Path) -> None:
    state = cluster(tmp_path, [record_of("holder", os.getpid()), record_of("kubelet", os.getpid())])
    with pytest.raises(UsageError, match="its kubelet is running"):
        outage.start_node(state.root, NAME)


def test_start_is_refused_once_the_node_s_namespaces_are_gone(tmp_path: Path) -> None:
    state = cluster(tmp_path, [record_of("holder", gone()), record_of("kubelet", gone())])
    with pytest.raises(BootstrapError, match="its namespaces are gone"):
        outage.start_node(state.root, NAME)


def test_the_new_unit_replaces_the_old_one_in_the_record(tmp_path: Path) -> None:
    holder, old = record_of("holder", os.getpid()), record_of("kubelet", gone())
    containerd = record_of("containerd", os.getpid())
    state = cluster(tmp_path, [holder, containerd, old])
    new = record_of("kubelet", os.getppid())
    outage.replace_unit(state, NAME, new)
    found = nodes_record.load(state)
    assert found is not None
    assert found.nodes[0].processes == [holder, containerd, new]
