"""Joining real nodes to a running cluster of ours, and taking them away again.

``join(cluster, count)`` adds ``count`` nodes, each as ``kubeadm join`` makes one: discovery
through the signed ``cluster-info``, a ``bootstrap-kubelet.conf`` holding the token, the kubelet's
TLS bootstrap (its CSR approved by the controller-manager through kubeadm's RBAC) ending in
``kubelet.conf``, and the ``kubelet-config`` ConfigMap as its configuration. Each node has its own
network namespace, containerd and cgroups (see ``network``, ``runtime``, ``cgroups``).

``teardown(cluster)`` undoes all of it, from the record every step writes before it acts
(``record``): processes, mounts, namespaces, cgroups, and (after the last cluster with nodes)
the host sysctls and paths ``hostrecord`` noted. A failed or interrupted ``join`` tears down.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime import process
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.nodes import cgroups, hostrecord, network, record, runtimedir
from bootstrap.runtime.nodes.addressing import MAX_NODES, Plan, choose_pod_subnet, cluster_id
from bootstrap.runtime.nodes.joining import join_nodes
from bootstrap.runtime.nodes.layout import NodeLayout
from bootstrap.runtime.nodes.mounts import unmount_under
from bootstrap.runtime.nodes.node import Node, pod_subnet_of
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.nodes.runtime import shim_sockets
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.nodeparts import NodeParts
from bootstrap.upstream.versions import cache_root
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import deferred

Log = Callable[[str], None]
ClusterRef = StateDir | ClusterHandle | str | Path
"""One of our clusters, as the callers name it: its handle, its state dir, or the dir's path
(not ``kubeadm_verify.access.Target``, which is how to reach any cluster's API server)."""


def stderr_log(line: str) -> None:
    stderr.line(line)


def state_of(target: ClusterRef) -> StateDir:
    """The state dir of a cluster we brought up (a handle, a StateDir or its path)."""
    if isinstance(target, StateDir):
        return target
    if isinstance(target, ClusterHandle):
        if target.state_dir is None:
            raise UsageError(f"cluster {target.name!r} is not one of ours: no state dir to join")
        return StateDir(Path(target.state_dir), target.name)
    root = Path(target).absolute()
    return StateDir(root, root.name)


_EMPTY = NodesRecord(Plan("", 0, ""))


@contextlib.contextmanager
def _slots_locked() -> Iterator[None]:
    lock = cache_root() / "nodes-slots.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def plan(state: StateDir, pod_subnet: str, runtime_root: Path | None = None) -> NodesRecord:
    """The cluster's record, making its runtime dir (under ``runtime_root``, by default
    ``layout.RUNTIME_ROOT``) and hub (and choosing its slot, and its pod subnet when the
    cluster's ``podSubnet`` is empty) on the first join; an interrupt waits until both are
    made, so that the clean-up finds them."""
    existing = record.load(state)
    if existing is not None and existing.hub:
        return existing
    with deferred(), _slots_locked():
        free = sorted(set(range(1, 250)) - network.used_slots())
        if not free:
            raise BootstrapError("no free 10.213.x.0/24 for the nodes' links")
        subnet = choose_pod_subnet(pod_subnet, network.routed_networks())
        cid = cluster_id(state.root)
        runtime = runtimedir.free(cid, state.root, runtime_root)
        nodes = NodesRecord(Plan(cid, free[0], subnet), runtime_dir=str(runtime))
        nodes.hub = True
        record.save(state, nodes)
        hostrecord.acquire(nodes.plan.cid)
        runtimedir.make(runtime, state.root)
        network.create_hub(nodes.plan)
    return nodes


def join(
    target: ClusterRef,
    count: int,
    *,
    log: Log = stderr_log,
    ready_timeout: float = 120.0,
    prepared: tuple[NodeParts, Path] | None = None,
    control_plane: bool = False,
) -> list[Node]:
    """Add ``count`` real nodes and wait until each is Ready; on failure undo the nodes this
    call added (all of them, hub included, when the cluster had none). ``prepared`` is
    ``joining.prepare_parts``'s answer when the caller already has it.

    ``control_plane`` also starts the control-plane host's own kubelet (first in the answer),
    with the ``kubelet.conf`` the init phases wrote for it, as ``kubeadm init`` starts it; the
    caller marks it (``mark-control-plane``) once it has registered."""
    state = state_of(target)
    check_count(count)
    if not state.exists() or not state.cluster_record().recorded:
        raise UsageError(f"no cluster of ours at {state.root}")
    earlier = {node.name for node in (record.load(state) or _EMPTY).nodes}
    if control_plane and any(node.control_plane for node in (record.load(state) or _EMPTY).nodes):
        raise UsageError(f"cluster at {state.root} already has its control-plane node")
    try:
        return join_nodes(state, count, log, ready_timeout, plan, prepared, control_plane)
    except BaseException:
        with contextlib.suppress(BootstrapError):
            if earlier:
                remove_nodes(state, keep=earlier)
            else:
                teardown(state)
        raise


def check_count(count: int) -> None:
    if count < 1 or count > MAX_NODES:
        raise UsageError(f"--nodes {count}: expected 1 to {MAX_NODES}")


def remove_nodes(target: ClusterRef, keep: set[str]) -> list[str]:
    """Undo the nodes not named in ``keep`` (a failed join's), leaving the others running, and
    delete their Node objects. Returns the names removed."""
    state = state_of(target)
    found = record.load(state)
    if found is None:
        return []
    gone = [node for node in found.nodes if node.name not in keep]
    problems = [problem for node in gone for problem in _teardown_node(state, found, node)]
    found.nodes = [node for node in found.nodes if node.name in keep]
    record.save(state, found)
    for node in gone:
        shutil.rmtree(found.layout(state, node).root, ignore_errors=True)
    _delete_node_objects(state, [node.name for node in gone])
    if problems:
        raise BootstrapError("node teardown left: " + "; ".join(problems))
    return [node.name for node in gone]


def _delete_node_objects(state: StateDir, names: list[str]) -> None:
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        for name in names:
            with contextlib.suppress(ApiError):
                client.request("DELETE", f"/api/v1/nodes/{name}")
    finally:
        client.close()


def layout_of(target: ClusterRef, name: str) -> NodeLayout:
    """Where the real node ``name`` of a cluster keeps its files, as its record says."""
    state = state_of(target)
    found = record.load(state)
    if found is not None:
        for node in found.nodes:
            if node.name == name:
                return found.layout(state, node)
    raise UsageError(f"no real node {name!r} in {state.root}")


def nodes_of(target: ClusterRef) -> list[Node]:
    found = record.load(state_of(target))
    if found is None:
        return []
    return [Node(n.name, n.address, n.netns, n.pod_cidr, n.control_plane) for n in found.nodes]


def _teardown_node(state: StateDir, found: NodesRecord, node: NodeEntry) -> list[str]:
    layout = found.layout(state, node)
    kubelets = [p for p in node.processes if p.component == "kubelet"]
    process.stop(kubelets)
    sockets = shim_sockets(layout)
    runtime_pids = {p.pid for p in node.processes if p.component == "containerd"}
    spared = runtime_filter(runtime_pids)
    cgroups.kill_all(node.cgroup_root, timeout=5.0, spare=spared)  # containers, reaped by shims
    stuck = cgroups.kill_all(node.cgroup_root)
    for socket in sockets:
        socket.unlink(missing_ok=True)
    process.stop([p for p in node.processes if p.component != "kubelet"])
    left = process.still_running(node.processes)
    problems = [f"{node.name}/{p.component} (pid {p.pid}) would not stop" for p in left]
    problems += [
        f"pid {pid} ({process.state_of(pid)}) in {node.cgroup_root} would not die"
        for pid in sorted(stuck)
    ]
    problems += unmount_under(layout.root)
    network.remove_netns(node.netns)
    problems += [f"cgroup {path} would not go" for path in cgroups.remove(node.cgroup_root)]
    return problems


SHIM = "containerd-shim-runc-v2"


def runtime_filter(runtime_pids: set[int]) -> Callable[[int], bool]:
    """containerd and its shims (in the node's cgroup, only its own): killed after the
    containers, so that the shims reap them (the host's init may not). A shim is known by the
    program it runs (``/proc/<pid>/exe``); one mistaken for a container only goes first."""

    def spare(pid: int) -> bool:
        if pid in runtime_pids:
            return True
        try:
            return os.path.basename(os.readlink(f"/proc/{pid}/exe")) == SHIM
        except OSError:
            return False

    return spare


def teardown(target: ClusterRef) -> None:
    """Undo every node of the cluster (a cluster without nodes: nothing to do), then remove its
    runtime dir; the record stays while anything is left, so that a later ``down`` retries."""
    state = state_of(target)
    found = record.load(state)
    if found is None:
        return
    problems: list[str] = []
    for node in found.nodes:
        problems += _teardown_node(state, found, node)
    if not problems:
        problems += runtimedir.remove(found.runtime_dir, found.plan.cid)
        with _slots_locked():
            runtimedir.prune_root()
    if found.hub:
        network.remove_netns(found.plan.hub_netns)
        network.remove_host_link(found.plan.host_link)
        problems += hostrecord.release(found.plan.cid)
    if problems:
        raise BootstrapError("node teardown left: " + "; ".join(problems))
    shutil.rmtree(state.root / "nodes", ignore_errors=True)
    record.forget(state)


__all__ = [
    "ClusterRef",
    "Node",
    "check_count",
    "join",
    "layout_of",
    "nodes_of",
    "plan",
    "pod_subnet_of",
    "remove_nodes",
    "state_of",
    "teardown",
]
