"""The half of a join that needs no cluster: each node's namespace, cgroups, pod network,
containerd and images.

None of it reads the API, so ``up`` runs it while the control plane starts (the image imports
are the biggest part of a join), and the kubelets start the moment discovery answers. A node's
own system images (pause, kube-proxy, CoreDNS) are imported first and ``system`` says when; the
other images follow in the same thread while the kubelet bootstraps, and ``wait_images``
returns once every expected name is loaded: nothing may ever be pulled, so no caller hands a
cluster on before that.

Everything is recorded before it is made (``record``), so a teardown at any moment finds it;
``abort`` makes the workers stop between steps, and ``settle`` waits for them, so a teardown
never races a step still running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.runtime.nodes import cgroups, network, podnet, record, runtime
from bootstrap.runtime.nodes.addressing import CONTROL_PLANE_INDEX, Plan
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.state import ProcessRecord, StateDir
from bootstrap.upstream.images.cache import check_loaded, import_archives, is_system
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred, leave_signals_to_the_main_thread

Planner = Callable[[StateDir, str], NodesRecord]


class Aborted(BootstrapError):
    """The join was given up while its nodes were being staged."""


class Recorder:
    """Adds a started process to the record at once; nodes start in parallel threads."""

    def __init__(self, state: StateDir, nodes: NodesRecord) -> None:
        self.state, self.nodes, self.lock = state, nodes, threading.Lock()

    def add(self, entry: NodeEntry, proc: ProcessRecord) -> None:
        with self.lock:
            entry.processes.append(proc)
            record.save(self.state, self.nodes)


@dataclass
class Staged:
    """Nodes with containerd running and images loading, each kubelet still to start."""

    state: StateDir
    nodes: NodesRecord
    entries: list[NodeEntry]
    parts: NodeParts
    recorder: Recorder
    system: dict[str, Future[None]] = field(default_factory=dict)
    """Per node: its containerd is up and its system pods' images are imported."""
    loaded: dict[str, Future[None]] = field(default_factory=dict)
    """Per node: every image imported and checked."""
    go: threading.Event = field(default_factory=threading.Event)
    """Open: the image imports may start (``up`` holds them until init is done)."""
    abort: threading.Event = field(default_factory=threading.Event)
    pool: ThreadPoolExecutor | None = None

    def wait_system(self, entry: NodeEntry) -> None:
        self.system[entry.name].result()

    def wait_images(self) -> None:
        """Every node's images loaded (the first failure raised); the workers are done."""
        try:
            for done in self.loaded.values():
                done.result()
        finally:
            self.settle()

    def settle(self) -> None:
        """Stop the workers between steps and wait until none is running."""
        if self.pool is not None:
            if not all(done.done() for done in self.loaded.values()):
                self.abort.set()
            self.pool.shutdown(wait=True)
            self.pool = None


def control_plane_name(state: StateDir) -> str:
    """The control-plane host's node name, as ``up`` recorded it (its ``kubelet.conf``, which
    the kubelet needs later, may still be on its way: ``up`` stages while init runs)."""
    name = state.cluster_record().node_name
    if not name:
        raise BootstrapError(
            f"{state.root} has no control-plane node name: "
            "was it brought up by `kubeadm-verify up`?"
        )
    return name


def _make_node(
    state: StateDir, nodes: NodesRecord, parts: NodeParts, service_subnet: str, control_plane: bool
) -> NodeEntry:
    """Record, then make, the node's namespace, cgroups, pod network and containerd config
    (one node at a time: the namespace calls switch this thread's network namespace)."""
    plan: Plan = nodes.plan
    index = CONTROL_PLANE_INDEX if control_plane else nodes.next_index()
    name = control_plane_name(state) if control_plane else plan.node_name(index)
    entry = nodes.new_entry(index, name, control_plane)
    nodes.nodes.append(entry)
    record.save(state, nodes)
    layout = nodes.layout(state, entry)
    layout.create()
    network.create_node_network(plan, index)
    cgroups.create(entry.cgroup_root)
    podnet.write_conflist(layout.cni_conf_dir, entry.pod_cidr, layout.cni_ipam)
    netns = network.netns_path(entry.netns)
    podnet.add_masquerade(
        parts.host.nsenter, netns, parts.host.iptables, entry.pod_cidr, plan.pod_subnet
    )
    podnet.hold_service_traffic(parts.host.nsenter, netns, parts.host.iptables, service_subnet)
    runtime.write_config(layout, parts)
    return entry


def stage(
    state: StateDir,
    count: int,
    planner: Planner,
    pod_subnet: str,
    service_subnet: str,
    prepared: tuple[NodeParts, Path],
    control_plane: bool = False,
    hold_imports: bool = False,
) -> Staged:
    """Make ``count`` workers (and with ``control_plane`` first the control-plane host's node)
    and start each one's containerd and image imports in its own thread (with
    ``hold_imports``, the imports once ``go`` is set); return at once."""
    parts, images = prepared
    nodes = planner(state, pod_subnet)
    network.refuse_service_subnet(nodes.plan, service_subnet)
    # In the main thread (``join``), an interrupt waits until the namespaces are made; ``up``
    # stages in a worker thread and settles it before any clean-up looks.
    with deferred():
        entries = [_make_node(state, nodes, parts, service_subnet, True)] if control_plane else []
        entries += [_make_node(state, nodes, parts, service_subnet, False) for _ in range(count)]
    staged = Staged(state, nodes, entries, parts, Recorder(state, nodes))
    if not hold_imports:
        staged.go.set()
    staged.pool = ThreadPoolExecutor(
        max_workers=len(entries),
        thread_name_prefix="node",
        initializer=leave_signals_to_the_main_thread,
    )
    for entry in entries:
        ready: Future[None] = Future()
        staged.system[entry.name] = ready
        staged.loaded[entry.name] = staged.pool.submit(_load, staged, entry, images, ready)
    return staged


def _load(staged: Staged, entry: NodeEntry, images: Path, system: Future[None]) -> None:
    """containerd, the system pods' images (then ``system`` is set), then the others."""
    try:
        layout = staged.nodes.layout(staged.state, entry)
        netns = network.netns_path(entry.netns)
        _check(staged)
        staged.recorder.add(
            entry, runtime.start(layout, staged.parts, netns, entry.cgroup_root, staged.state.logs)
        )
        ctr, address = staged.parts.part("ctr"), str(layout.socket)
        archives = sorted(images.glob("*.tar"))
        while not staged.go.wait(0.1):
            _check(staged)
        for archive in [a for a in archives if is_system(a)]:
            _check(staged)
            import_archives(ctr, address, [archive])
    except BaseException as error:
        system.set_exception(error)
        raise
    system.set_result(None)
    for archive in [a for a in archives if not is_system(a)]:
        _check(staged)
        import_archives(ctr, address, [archive])
    check_loaded(ctr, address, staged.parts.version)


def _check(staged: Staged) -> None:
    if staged.abort.is_set():
        raise Aborted("join given up while its nodes were being staged")


def settle_all(pending: list[Future[Staged | None]]) -> None:
    """Wait for staging still under way, and for its workers (after a failure elsewhere)."""
    futures.wait(pending)
    for done in pending:
        staged = done.result() if done.exception() is None else None
        if staged is not None:
            staged.settle()
