"""A node of a kubeadm-driven cluster going down and coming back, as a machine does: for showing
what the cluster does when it loses a control plane (its API server and its etcd member), and how
it heals.

``stop_node(state_dir, name)``: the node's kubelet unit stopped (the kubelet with it, as
``systemctl stop kubelet`` would), then every container the node runs killed (its static pods:
the API server, the etcd member, the controller-manager and the scheduler, and whatever pods it
ran), found by the node's cgroups as the teardown finds them; their shims reap them. What a
powered-off machine keeps stays: its namespaces, its files, its etcd data, its containerd (which
then runs nothing), and its address, which now refuses every connection.

``start_node(state_dir, name)``: the kubelet unit started again with the arguments it was first
started with, recorded in place of the old one (the teardown stops the one the record names).
The kubelet then does what it does at boot: it starts every static pod from its manifest, the
etcd member rejoins its peers from its data, and the node's other pods come back. Both return
once the processes are stopped or started; what the cluster makes of it is for the caller to
wait for.
"""

from __future__ import annotations

import os
from pathlib import Path

from bootstrap.kubeadmrun import record
from bootstrap.kubeadmrun.machine import in_namespace
from bootstrap.kubeadmrun.node import python_env
from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import deferred

KUBELET = "kubelet"
"""The component name the kubelet's unit is recorded under (``node.boot``)."""
CONTAINERS_TIMEOUT_S = 60.0
"""A killed process in the kernel (state ``D``) dies only when it leaves it: on a loaded
machine two of a node's containers were still there after 15 s."""


DEAD = ("state Z", "state X", "gone")
"""A process that has died already: waiting for its parent to reap it, or not there at all."""


def stop_node(state_dir: Path, name: str) -> None:
    """Stop node ``name``'s kubelet and every container it runs; raises, naming what is left,
    when something would not stop."""
    state = state_at(state_dir)
    entry = node_entry(state, name)
    namespace = record.namespaces(state).get(name, "")
    if not namespace:
        raise BootstrapError(f"{name}: its mount namespace is not recorded; is it a kubeadm node?")
    units = [p for p in entry.processes if p.component == KUBELET]
    process.stop(units)
    left = [f"its kubelet unit (pid {p.pid})" for p in process.still_running(units)]

    # the containers are each in a mount namespace of their own; the node's own processes
    # (its namespaces' holder, containerd, the shims) are in the node's and stay, and a
    # container that has died already but waits for its shim to reap it is gone
    def spared(pid: int) -> bool:
        return in_namespace(pid, namespace) or process.state_of(pid) in DEAD

    survivors = cgroups.kill_all(entry.cgroup_root, CONTAINERS_TIMEOUT_S, spare=spared)
    left += [f"pid {pid} ({process.state_of(pid)}) in its cgroups" for pid in sorted(survivors)]
    if left:
        raise BootstrapError(f"{name} did not stop: {', '.join(left)} would not die")


def start_node(state_dir: Path, name: str) -> ProcessRecord:
    """Start node ``name``'s kubelet unit again (a stopped node's: refused while one runs);
    returns its record."""
    state = state_at(state_dir)
    entry = node_entry(state, name)
    units = _units(entry)
    if process.still_running(units):
        raise UsageError(f"{name}: its kubelet is running; stop the node first")
    holder = next((p for p in entry.processes if p.component == "holder"), None)
    if holder is None or not process.is_running(holder):
        raise BootstrapError(f"{name}: its namespaces are gone; the node cannot start again")
    return _start_again(state, entry, units[-1])


def state_at(state_dir: Path) -> StateDir:
    root = state_dir.absolute()
    return StateDir(root, root.name)


def node_entry(state: StateDir, name: str) -> NodeEntry:
    found = nodes_record.load(state)
    entry = next((n for n in found.nodes if n.name == name), None) if found else None
    if entry is None:
        raise UsageError(f"no node {name} in the cluster at {state.root}")
    return entry


def restart_kubelet(state_dir: Path, name: str) -> ProcessRecord:
    """Node ``name``'s kubelet unit stopped and started again, as ``systemctl restart kubelet``
    after an upgrade put a new kubelet in the node's own bin dir: the containers the node runs
    stay up, and the kubelet the unit starts (the node's copy) takes them over. Returns the new
    unit's record."""
    state = state_at(state_dir)
    entry = node_entry(state, name)
    units = _units(entry)
    process.stop(units)
    if process.still_running(units):
        raise BootstrapError(f"{name}: its kubelet unit would not stop")
    return _start_again(state, entry, units[-1])


def _units(entry: NodeEntry) -> list[ProcessRecord]:
    """The node's recorded kubelet units (the last is the one started last)."""
    units = [p for p in entry.processes if p.component == KUBELET]
    if not units:
        raise BootstrapError(
            f"{entry.name}: no kubelet unit is recorded; was the node ever booted?"
        )
    return units


def _start_again(state: StateDir, entry: NodeEntry, last: ProcessRecord) -> ProcessRecord:
    """The kubelet unit started with ``last``'s arguments and recorded in its place."""
    with deferred():  # started and recorded as one step: a teardown at any moment finds it
        unit = process.start(KUBELET, last.argv, Path(last.log), env=python_env(dict(os.environ)))
        replace_unit(state, entry.name, unit)
    cgroups.enter(entry.cgroup_root, unit.pid)
    return unit


def replace_unit(state: StateDir, name: str, unit: ProcessRecord) -> None:
    """The node's kubelet unit in the nodes record is ``unit`` from now on."""
    with state.locked():
        found = nodes_record.load(state)
        assert found is not None  # ``_entry`` found it, and only a teardown removes it
        for entry in found.nodes:
            if entry.name == name:
                others = [p for p in entry.processes if p.component != KUBELET]
                entry.processes = [*others, unit]
        state.write_json(nodes_record.NODES_RECORD, found.as_dict())
