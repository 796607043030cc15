"""Named local clusters: the steps of a bring-up (``create``: kubeadm's init phases, then the
nodes), and of taking one down (``teardown``, ``down``).

Bringing a cluster up is all or nothing, and that is ``bootstrap.runtime.bringup``'s to ensure:
this module does the steps. ``down`` stops exactly the processes recorded in the state dir (pid
and start time, see ``bootstrap.runtime.process``) and removes the dir; on a cluster that is not
there it does nothing.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.kubeadm import components
from bootstrap.kubeadm.configtypes import BootstrapConfig, BootstrapTokenSpec
from bootstrap.kubeadm.tokens import generate_token, parse_token
from bootstrap.phases import CheckNode, init_phases
from bootstrap.phases import run as run_phases
from bootstrap.phases.api import ApiClient
from bootstrap.runtime import health, kwok, ports, process
from bootstrap.runtime.advertise import default_route_address, with_advertise_address
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.state import MARKER, StateDir
from kubeadm_verify import stderr
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import leave_signals_to_the_main_thread, uninterruptible
from kubeadm_verify.record import replace

if TYPE_CHECKING:
    from bootstrap.runtime.nodes.staging import Staged
    from bootstrap.runtime.spec import ClusterSpec

Log = Callable[[str], None]
ADMIN_CONTEXT = "kubernetes-admin@{cluster}"
NODES_STALL_S = 20.0
"""How long the simulated nodes may go without one more of them coming up before ``up`` stops
waiting for them: kube-controller-manager lifts a new node's not-ready taint within a node
monitor period or two (5 s each) of its Ready, and lifts about 20 a second (its client's QPS)."""
NODES_POLL_S = 0.5
"""Each poll lists every simulated node: twice a second is enough, and light on the API server."""
NODES_WAIT_S = 60.0
"""The longest ``up`` waits for simulated nodes still coming up. kube-controller-manager lifts
the not-ready taints of at most about ten nodes a second (two requests each, at its client's
default 20 QPS), so a thousand take minutes: ``up`` says how many were up and goes on."""
STOP_ORDER = (
    (kwok.COMPONENT, components.SCHEDULER, components.CONTROLLER_MANAGER, components.APISERVER),
    (components.ETCD,),
)
"""Clients first, all at once; etcd last, so the apiserver never loses its storage mid-stop."""


def stderr_log(line: str) -> None:
    stderr.line(line)


# -- preparing a configuration for a state dir ---------------------------------------------------


def resolve_tokens(config: BootstrapConfig, recorded: list[str]) -> tuple[BootstrapTokenSpec, ...]:
    """Every token with its value: as configured, as recorded earlier, or freshly generated."""
    specs = []
    for index, spec in enumerate(config.bootstrap_tokens):
        if not spec.token:
            value = recorded[index] if index < len(recorded) else generate_token().value
            spec = replace(spec, token=parse_token(value).value)
        specs.append(spec)
    return tuple(specs)


def resolve(config: BootstrapConfig, state: StateDir) -> BootstrapConfig:
    """Fix what must stay fixed for the life of the cluster, and record it in the state dir.

    Ports asked for as 0 get free ones, empty tokens get values, and an advertise address the
    configuration does not give is the default route's (as ``kubeadm init``); a second call
    returns the same answers, from the record.
    """
    if config.cluster.etcd_external is not None:
        raise UsageError(
            "etcd.external: a local cluster runs its own etcd; remove "
            "etcd.external from the configuration to bring one up"
        )
    state.create()
    record = state.cluster_record()
    others = ports.recorded_ports() | ports.recorded_ports(state.root.parent)
    address = record.advertise_address or default_route_address()
    config = with_advertise_address(config, address)
    chosen = ports.pick(config, dict(record.ports) or None, avoid=others)
    resolved = ports.apply(config, chosen)
    tokens = resolve_tokens(resolved, list(record.tokens))
    resolved = replace(resolved, bootstrap_tokens=tokens)
    state.update_cluster_record(
        name=state.name,
        version=resolved.cluster.kubernetes_version,
        ports=chosen,
        tokens=tuple(spec.token for spec in resolved.bootstrap_tokens),
        advertise_address=resolved.endpoint.advertise_address,
        node_name=resolved.node.name,
        cluster_name=resolved.cluster.cluster_name,
    )
    return resolved


def find_binaries(
    config: BootstrapConfig, state: StateDir, binaries: Path | None = None, source: str = "auto"
) -> Path:
    """The bin dir: as given, as recorded, or the release's cache (downloaded or built if need
    be); recorded for the processes the phases start."""
    recorded = state.cluster_record().bin_dir
    found = binaries or (Path(recorded) if recorded else None)
    if found is None:
        from bootstrap.upstream.binaries import ensure_binaries

        found = ensure_binaries(config.cluster.kubernetes_version, source=source)
    state.update_cluster_record(bin_dir=str(found))
    return found


def handle_for(state: StateDir, config: BootstrapConfig, simulated_nodes: int = 0) -> ClusterHandle:
    return ClusterHandle(
        name=state.name,
        kubeconfig=state.admin_conf,
        context=ADMIN_CONTEXT.format(cluster=config.cluster.cluster_name),
        version=config.cluster.kubernetes_version,
        owned=True,
        state_dir=state.root,
        simulated_nodes=simulated_nodes,
    )


def start_simulated_nodes(
    state: StateDir, count: int, log: Log, stall_s: float = NODES_STALL_S
) -> list[str]:
    """kwok, and ``count`` Nodes it manages, waited on while they keep coming up.

    Whether the nodes come up is the cluster's to answer and the Standard Base's to judge (a
    cluster without its node lifecycle controller never lifts their not-ready taints), not a
    reason for ``up`` to give up on a cluster ``kubeadm init`` finished. So the wait ends when
    every node is up, when none more came up for ``stall_s``, or after :data:`NODES_WAIT_S`;
    the log says how many are up. A process that died still fails ``up``.
    """
    kwok.start(state)
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        start = time.monotonic()
        names = kwok.create_nodes(client, count)
        log(
            f"[kubeadm-verify] Created {count} simulated node(s) in "
            f"{health.go_duration(round(time.monotonic() - start, 1))}"
        )
        up_now = wait_for_nodes(
            lambda: kwok.nodes_up(client, names), count, state, stall_s, NODES_WAIT_S
        )
    finally:
        client.close()
    log(nodes_line(names, up_now))
    return names


def nodes_line(names: Sequence[str], up_now: set[str], limit: int = 3) -> str:
    """How many simulated nodes came up, naming a few (of those up, or else of those not)."""
    missing = [name for name in names if name not in up_now]
    shown = missing or list(names)
    listed = ", ".join(shown[:limit]) + (
        f" and {len(shown) - limit} more" if len(shown) > limit else ""
    )
    said = f"[kubeadm-verify] {len(up_now)} of {len(names)} simulated node(s) Ready"
    if not missing:
        return f"{said}: {listed}"
    return (
        f"{said}; not Ready or still tainted not-ready: {listed} (left for the Standard "
        "Base to judge)"
    )


def wait_for_nodes(
    up_now: Callable[[], set[str]], count: int, state: StateDir, stall_s: float, limit_s: float
) -> set[str]:
    """Poll ``up_now`` until ``count`` are up, none more came up for ``stall_s``, or ``limit_s``
    passed; what was up last. A recorded process that died raises ``BootstrapError``."""
    last_progress = time.monotonic()
    latest: set[str] = set()
    most = 0

    def done() -> bool:
        nonlocal latest, most, last_progress
        found = _up_or_none(up_now)
        if found is not None:
            latest = found
            if len(found) > most:
                most, last_progress = len(found), time.monotonic()
        if len(latest) >= count:
            return True
        reason = health.failed_process(state)  # before a stall: a dead kwok is why it stalled
        if reason is not None:
            raise BootstrapError(reason)
        return time.monotonic() - last_progress >= stall_s

    with contextlib.suppress(WaitTimedOut):  # what was up at the limit is the answer
        wait_for(done, limit_s, interval=NODES_POLL_S)
    return latest


def _up_or_none(up_now: Callable[[], set[str]]) -> set[str] | None:
    """One poll; an API error on the way (a busy API server) counts as no answer."""
    from bootstrap.phases.api import ApiError

    try:
        return up_now()
    except ApiError:
        return None


# -- up and down ---------------------------------------------------------------------------------


def create(spec: ClusterSpec, state: StateDir, log: Log) -> BootstrapConfig:
    """Resolve ``spec`` into ``state`` and bring its cluster up as ``kubeadm init`` does, then
    its simulated and real nodes; the resolved configuration. Not all or nothing by itself:
    ``bootstrap.runtime.bringup`` wraps it so that a failure or an interrupt leaves nothing."""
    resolved = resolve(spec.phase_config, state)
    log(f"[init] Using Kubernetes version: {resolved.cluster.kubernetes_version}")
    if spec.nodes > 0:
        from bootstrap.runtime.nodes.lifecycle import check_count

        check_count(spec.nodes)
    staged = _run_init(
        resolved, state, log, spec.skipped_phases, spec.binaries, spec.preflight, spec.nodes
    )
    try:
        if spec.simulated_nodes > 0:
            start_simulated_nodes(state, spec.simulated_nodes, log)
    except BaseException:
        if staged is not None:  # its workers start containerds: done before the clean-up
            staged.settle()
        raise
    if staged is not None:  # the real nodes, staged while the init phases ran
        from bootstrap.runtime.nodes.upnodes import start_real_nodes

        start_real_nodes(resolved, state, staged, log)
    return resolved


def _run_init(
    config: BootstrapConfig,
    state: StateDir,
    log: Log,
    skip: Sequence[str],
    binaries: Path | None,
    check_node: CheckNode | None = None,
    nodes: int = 0,
) -> Staged | None:
    """The init phases, with the (cached) binaries checked meanwhile: their sha256 check takes
    about a second and nothing needs them before ``etcd/local`` starts the first process.
    When real nodes will join, the same thread then checks the node parts and images and
    stages the nodes (namespaces, pod networks, containerds: see ``nodes.upnodes``)."""
    from bootstrap.runtime.nodes.upnodes import stage_during_init

    phases = init_phases(check_node)
    first = next(i for i, phase in enumerate(phases) if phase.name == "etcd/local")
    with ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="binaries", initializer=leave_signals_to_the_main_thread
    ) as pool:
        found = pool.submit(find_binaries, config, state, binaries)
        staging = pool.submit(stage_during_init, found, config, state, nodes) if nodes else None
        waiting: list[futures.Future[Any]] = [found] + ([staging] if staging else [])
        try:
            run_phases(phases[:first], config, state, log, skip=skip)
            found.result()
            run_phases(phases[first:], config, state, log, skip=skip)
            return staging.result() if staging is not None else None
        except BaseException:
            futures.wait(waiting)
            if staging is not None:
                from bootstrap.runtime.nodes.staging import settle_all

                settle_all([staging])
            raise


def stop_processes(state: StateDir) -> list[str]:
    """Stop every recorded process, clients before etcd; return what was still running."""
    records = state.processes()
    stopped: list[str] = []
    waves = [[r for r in records if r.component in wave] for wave in STOP_ORDER]
    waves.append([r for r in records if not any(r.component in wave for wave in STOP_ORDER)])
    for wave in waves:
        stopped += [record.component for record in process.stop(wave)]
    left = process.still_running(records)
    if left:
        names = ", ".join(f"{r.component} (pid {r.pid})" for r in left)
        raise BootstrapError(f"could not stop {names}; state kept in {state.root}")
    return stopped


KUBEADM_DRIVER = "kubeadm"


def driven_by_kubeadm(state: StateDir) -> bool:
    """The real kubeadm brought this cluster up, or began to: the bring-up records its driver
    before kubeadm runs."""
    return state.cluster_record().driver == KUBEADM_DRIVER


def nodes_running(state: StateDir) -> bool:
    """Whether a process of the cluster's real nodes (a kubelet, a containerd) still runs."""
    from bootstrap.runtime.nodes import record

    found = record.load(state)
    return found is not None and any(
        process.is_running(proc) for node in found.nodes for proc in node.processes
    )


def _stop_all(state: StateDir) -> list[str]:
    """The real nodes first (their kubelets talk to the API server), then the control plane;
    a node teardown that left something keeps the state dir, whose record can finish it. A
    cluster the real kubeadm brought up is reset by it, node by node (``kubeadmrun``)."""
    from bootstrap.runtime import nodes as real

    if driven_by_kubeadm(state):
        from bootstrap.kubeadmrun import teardown_kubeadm

        teardown_kubeadm(state.root, lambda line: None)
        return ["every node, each after kubeadm reset"]
    try:
        real.teardown(state)
    except BootstrapError:
        stop_processes(state)
        raise
    return stop_processes(state)


def teardown(state: StateDir) -> None:
    """Stop what the state dir records and remove the dir; a dir without our marker is left."""
    if not state.exists() or not state.is_ours():
        return
    _stop_all(state)
    shutil.rmtree(state.root, ignore_errors=True)


def down(name: str, *, state_dir: str | Path | None = None, log: Log = stderr_log) -> bool:
    """Tear a cluster down; False (and nothing done) if there is no such cluster."""
    state = StateDir.for_cluster(name, state_dir)
    if not state.exists():
        return False
    if not state.is_ours():
        raise UsageError(
            f"{state.root} is not a kubeadm-verify state dir (no {MARKER}); not removing it"
        )
    with uninterruptible():
        stopped = _stop_all(state)
        shutil.rmtree(state.root)
    log(
        f"[reset] Stopped {', '.join(stopped) or 'nothing (no process was running)'}; "
        f"removed {state.root}"
    )
    return True


__all__ = [
    "ADMIN_CONTEXT",
    "KUBEADM_DRIVER",
    "create",
    "down",
    "driven_by_kubeadm",
    "find_binaries",
    "handle_for",
    "nodes_running",
    "resolve",
    "start_simulated_nodes",
    "stop_processes",
    "teardown",
    "wait_for_nodes",
]
