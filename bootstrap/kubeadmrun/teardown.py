"""Taking a kubeadm-driven cluster down: ``kubeadm reset`` on each node, then everything else.

Workers first, the control planes last (a worker's reset may still ask the API), the last joined
first; then the load balancer, if the cluster has one. On each node:
its kubelet unit stopped (as ``systemctl stop kubelet`` would, which kubeadm's reset cannot do
here), ``kubeadm reset -f`` (the same kubeadm, bounded; a failure is reported, not fatal: what
it would have removed goes with the node anyway), then what reset left in the node's cgroups
(its containers, reaped by their shims) and every process left in the node's mount namespace
killed, which takes the namespace and every mount in it. The node teardown every real node has
(``nodes.lifecycle.teardown``) then stops what the record names, removes the network
namespaces, cgroups and runtime dir, and releases the host record, restoring the host's sysctls
and paths. Safe to call again after a partial run: what is gone is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bootstrap.kubeadmrun import commands, kubeadmconfig, record
from bootstrap.kubeadmrun.machine import enter_argv, in_namespace, kill_namespace
from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups, lifecycle
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import ProcessRecord, StateDir
from bootstrap.upstream.nodeparts import find_host_tools
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError

Log = Callable[[str], None]
RESET_TIMEOUT_S = 120.0
CONTAINERS_TIMEOUT_S = 10.0


def _stderr_log(line: str) -> None:
    stderr.line(line)


def teardown_kubeadm(state_dir: Path, log: Log = _stderr_log) -> None:
    """Undo every node of the kubeadm-driven cluster at ``state_dir``; raises, naming what is
    left, when something would not go (the records stay, so a later call retries)."""
    root = state_dir.absolute()
    state = StateDir(root, root.name)
    found = nodes_record.load(state)
    info = record.load(state)
    namespaces = record.namespaces(state)
    problems: list[str] = []
    if found is not None:
        # the workers, then the control planes last joined first: etcd keeps its quorum while
        # each reset removes its member
        ordered = sorted(found.nodes, key=lambda entry: (entry.control_plane, -entry.index))
        for entry in ordered:
            problems += _reset_node(state, entry, info, namespaces.get(entry.name, ""), log)
    if isinstance(info.get("balancer"), dict):
        balancer = [ProcessRecord.from_dict(info["balancer"])]
        process.stop(balancer)
        left = process.still_running(balancer)
        problems += [f"haproxy (pid {proc.pid}) would not stop" for proc in left]
    lifecycle.teardown(state)
    if problems:
        raise BootstrapError("kubeadm teardown left: " + "; ".join(problems))
    record.forget(state)


def _reset_node(
    state: StateDir, entry: NodeEntry, info: dict[str, object], namespace: str, log: Log
) -> list[str]:
    process.stop([p for p in entry.processes if p.component == "kubelet"])
    holder = next((p for p in entry.processes if p.component == "holder"), None)
    containerd = [p for p in entry.processes if p.component == "containerd"]
    if holder is not None and process.is_running(holder) and containerd and info.get("kubeadm"):
        _reset(state, entry, holder, log)
    if not namespace:
        return []
    # what reset left in the node's cgroups (containers, each in a mount namespace of its
    # own) first, while their shims live to reap them: the host's init may not
    cgroups.kill_all(
        entry.cgroup_root, CONTAINERS_TIMEOUT_S, spare=lambda pid: in_namespace(pid, namespace)
    )
    left = kill_namespace(namespace, cgroup_root=entry.cgroup_root)
    return [
        f"pid {pid} ({process.state_of(pid)}) in the mount namespace of {entry.name} would not die"
        for pid in sorted(left)
    ]


def _reset(state: StateDir, entry: NodeEntry, holder: ProcessRecord, log: Log) -> None:
    nsenter = find_host_tools().nsenter
    argv = [
        *enter_argv(nsenter, holder),
        kubeadmconfig.KUBEADM_IN_NODE,
        "reset",
        "-f",
        "--cri-socket",
        kubeadmconfig.CRI_SOCKET,
    ]
    try:
        commands.run_logged(
            argv,
            state.logs / f"{entry.name}-kubeadm-reset.log",
            RESET_TIMEOUT_S,
            what=f"kubeadm reset on {entry.name}",
            env=commands.command_env([]),
        )
    except BootstrapError as error:
        log(f"[reset] {error}")
