"""Upgrading a kubeadm-driven cluster to the next minor release, node by node, as kubeadm's
"Upgrading kubeadm clusters" page does it: ``upgrade_kubeadm_cluster``.

First every node gets the new release's images in its containerd (nothing may be pulled), then
each node in turn, the first control plane first, the other control planes, then the workers:

1. the new kubeadm in place (``/opt/kubeadm-verify/bin/kubeadm`` in the node);
2. on the first control plane ``kubeadm upgrade plan``, ``upgrade diff`` and ``upgrade apply``
   (etcd, the API server, controller-manager and scheduler, the cluster's configuration, then
   kube-proxy and CoreDNS), on every other node ``kubeadm upgrade node``; all read one
   UpgradeConfiguration (``kubeadmconfig.upgrade_config``);
3. ``kubectl drain`` (DaemonSet pods stay, a PodDisruptionBudget is honoured);
4. the new release's kubelet in the node's own bin dir (the unit runs that copy) and the unit
   restarted, then waited for: the Node Ready and reporting the new version;
5. ``kubectl uncordon``.

Each step is timed and logged (``<state>/logs/<node>-upgrade-<step>.log``), bounded, and handed
to ``on_step`` as it ends; a failed step ends the upgrade (``StepFailed`` names the node, the
step and what the command said): kubeadm has rolled back what it changed by then, and the nodes
not yet reached stay at the old release. The cluster's record follows the upgrade (the kubeadm
``down`` resets with, the release), so ``kubeadm-verify down`` works after it as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bootstrap.kubeadmrun import commands, kubeadmconfig, record
from bootstrap.kubeadmrun.cpimages import ensure_control_plane_images
from bootstrap.kubeadmrun.machine import Machine, enter_argv, socket_from_host
from bootstrap.kubeadmrun.node import machine_of, path_dirs
from bootstrap.kubeadmrun.outage import restart_kubelet
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.joining import node_ready
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import ProcessRecord, StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.images.cache import import_archives
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from bootstrap.upstream.versions import normalise_version
from kubeadm_verify import stderr
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError, UsageError

Log = Callable[[str], None]
PLAN_TIMEOUT_S = 120.0
APPLY_TIMEOUT_S = 900.0
"""kubeadm waits up to five minutes for each static pod it replaces, etcd's included."""
NODE_TIMEOUT_S = 600.0
DRAIN_TIMEOUT_S = 240.0
"""kubectl's own ``--timeout`` is a minute less: a PodDisruptionBudget holds an eviction until
the replacement elsewhere is ready."""
KUBELET_TIMEOUT_S = 120.0
ADDONS_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Step:
    """One step on one node (``node`` is ``cluster`` for what is the whole cluster's): how long
    it took and, when it failed, what was said."""

    node: str
    name: str
    seconds: float
    failure: str = ""


class StepFailed(BootstrapError):
    def __init__(self, step: Step) -> None:
        super().__init__(f"{step.node}: {step.name} failed: {step.failure}")
        self.step = step


@dataclass(frozen=True)
class _Node:
    entry: NodeEntry
    machine: Machine
    holder: ProcessRecord

    @property
    def name(self) -> str:
        return self.entry.name


def check_target(current: str, target: str) -> str:
    """``target`` normalised; refused unless it is a newer patch of the same minor or the next
    minor (kubeadm's skew policy: one minor at a time)."""
    to = normalise_version(target)
    old, new = _triple(current), _triple(to)
    if new <= old:
        raise UsageError(f"--to {to}: the cluster runs {current}; an upgrade goes to a newer one")
    if new[0] != old[0] or new[1] - old[1] > 1:
        raise UsageError(
            f"--to {to}: the cluster runs {current}; kubeadm upgrades one minor release at a time"
        )
    return to


def _triple(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.lstrip("v").split("-")[0].split("."))
    return major, minor, patch


def upgrade_kubeadm_cluster(
    state_dir: Path,
    to_version: str,
    kubeadm: Path | None = None,
    log: Log = stderr.line,
    on_step: Callable[[Step], None] = lambda step: None,
    between: Callable[[], None] | None = None,
) -> list[Step]:
    """The cluster at ``state_dir`` upgraded to ``to_version`` with ``kubeadm`` (the new
    release's pinned one when None); ``between``, the step ``cluster``/``workload``, runs once
    the images are in, before the first node is touched (where a caller starts what watches the
    upgrade). Returns every step."""
    root = state_dir.absolute()
    state = StateDir(root, root.name)
    info = record.load(state)
    current = str(info.get("version") or "")
    if not current:
        raise UsageError(f"{root} holds no kubeadm-driven cluster")
    target = check_target(current, to_version)
    found = nodes_record.load(state)
    if found is None or not found.nodes:
        raise UsageError(f"{root} holds no nodes")
    nodes = [_node(found, entry) for entry in found.nodes]
    control_planes = [n for n in nodes if n.entry.control_plane]
    workers = [n for n in nodes if not n.entry.control_plane]
    steps: list[Step] = []
    run = _Runner(state, steps, on_step, log)

    new = ensure_node_parts(target)
    binary = (kubeadm or new.binary("kubeadm")).absolute()
    with run.step("cluster", "images"):
        _load_images(new, binary, nodes)
    if between is not None:
        with run.step("cluster", "workload"):
            between()
    for index, node in enumerate([*control_planes, *workers]):
        with run.step(node.name, "kubeadm"):
            node.machine.place(binary, kubeadmconfig.KUBEADM_IN_NODE)
            node.machine.write(
                kubeadmconfig.UPGRADE_CONFIG_PATH, kubeadmconfig.upgrade_config(target), 0o600
            )
        if index == 0:
            for verb, timeout in (("plan", PLAN_TIMEOUT_S), ("diff", PLAN_TIMEOUT_S)):
                with run.step(node.name, f"upgrade {verb}"):
                    _kubeadm(state, new, node, ["upgrade", verb], timeout)
            with run.step(node.name, "upgrade apply"):
                _kubeadm(state, new, node, ["upgrade", "apply", "--yes"], APPLY_TIMEOUT_S)
            record.update(state, kubeadm=str(binary))
        else:
            with run.step(node.name, "upgrade node"):
                _kubeadm(state, new, node, ["upgrade", "node"], NODE_TIMEOUT_S)
        with run.step(node.name, "drain"):
            _kubectl(state, new, node, ["drain", node.name, *DRAIN_FLAGS], DRAIN_TIMEOUT_S)
        with run.step(node.name, "kubelet"):
            node.machine.place(new.binary("kubelet"), kubeadmconfig.KUBELET_IN_NODE)
            restart_kubelet(root, node.name)
            _wait_kubelet(state, node.name, target)
        with run.step(node.name, "uncordon"):
            _kubectl(state, new, node, ["uncordon", node.name], DRAIN_TIMEOUT_S)
    record.update(state, version=target)
    with run.step("cluster", "addons"):
        _wait_kube_proxy(state, target)
    return steps


DRAIN_FLAGS = ("--ignore-daemonsets", "--delete-emptydir-data", "--timeout=180s")


class _Runner:
    def __init__(
        self, state: StateDir, steps: list[Step], on_step: Callable[[Step], None], log: Log
    ) -> None:
        self.state, self.steps, self.on_step, self.log = state, steps, on_step, log

    @contextmanager
    def step(self, node: str, name: str) -> Iterator[None]:
        started = time.monotonic()
        self.log(f"[upgrade] {node}: {name}")
        try:
            yield
        except (BootstrapError, ApiError, OSError) as error:
            done = Step(node, name, time.monotonic() - started, str(error) or type(error).__name__)
            self._record(done)
            raise StepFailed(done) from error
        done = Step(node, name, time.monotonic() - started)
        self._record(done)
        self.log(f"[upgrade] {node}: {name} done in {done.seconds:.1f}s")

    def _record(self, step: Step) -> None:
        self.steps.append(step)
        self.on_step(step)


def _node(found: nodes_record.NodesRecord, entry: NodeEntry) -> _Node:
    holder = next((p for p in entry.processes if p.component == "holder"), None)
    if holder is None:
        raise BootstrapError(f"{entry.name}: no namespace holder is recorded")
    return _Node(entry, machine_of(found, entry), holder)


def _load_images(new: NodeParts, kubeadm: Path, nodes: list[_Node]) -> None:
    """The new release's node images on every node, its control-plane images on each control
    plane: ``upgrade apply``'s ImagePull check then finds them, and nothing is pulled."""
    system = sorted(ensure_images(new).glob("*.tar"))
    control_plane = sorted(
        ensure_control_plane_images(kubeadm, new.binaries, new.version).glob("*.tar")
    )
    for node in nodes:
        archives = (control_plane if node.entry.control_plane else []) + system
        import_archives(new.part("ctr"), socket_from_host(node.holder), archives)


def _kubeadm(
    state: StateDir, parts: NodeParts, node: _Node, args: list[str], timeout: float
) -> None:
    argv = [
        *enter_argv(parts.host.nsenter, node.holder),
        kubeadmconfig.KUBEADM_IN_NODE,
        *args,
        "--config",
        kubeadmconfig.UPGRADE_CONFIG_PATH,
    ]
    what = " ".join(["kubeadm", *args[:2]])
    commands.run_logged(
        argv,
        state.logs / f"{node.name}-{'-'.join(args[:2])}.log",
        timeout,
        what=f"{what} on {node.name}",
        env=commands.command_env(path_dirs(parts)),
    )


def _kubectl(
    state: StateDir, parts: NodeParts, node: _Node, args: list[str], timeout: float
) -> None:
    argv = [str(parts.binary("kubectl")), "--kubeconfig", str(state.admin_conf), *args]
    commands.run_logged(
        argv,
        state.logs / f"{node.name}-upgrade-{args[0]}.log",
        timeout,
        what=f"kubectl {args[0]} {node.name}",
        env=commands.command_env([]),
    )


def _wait_kubelet(state: StateDir, name: str, version: str) -> None:
    """Until the Node is Ready and its kubelet reports ``version``."""
    with ApiClient.from_kubeconfig(state) as client:

        def upgraded() -> bool:
            try:
                node = client.get(f"/api/v1/nodes/{name}")
            except ApiError:
                return False
            info = (node.get("status") or {}).get("nodeInfo") or {}
            return info.get("kubeletVersion") == version and node_ready(node)

        try:
            wait_for(upgraded, KUBELET_TIMEOUT_S, interval=1, what=f"{name}'s kubelet {version}")
        except WaitTimedOut as timed_out:
            raise BootstrapError(str(timed_out)) from None


def _wait_kube_proxy(state: StateDir, version: str) -> None:
    """Until kube-proxy runs the new release on every node (``upgrade apply`` updated its
    DaemonSet; each pod is replaced in turn)."""
    path = "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy"
    with ApiClient.from_kubeconfig(state) as client:

        def rolled_out() -> bool:
            try:
                daemonset = client.get(path)
            except ApiError:
                return False
            spec = daemonset["spec"]["template"]["spec"]["containers"][0]
            status = daemonset.get("status") or {}
            desired = status.get("desiredNumberScheduled")
            return (
                str(spec.get("image", "")).endswith(f":{version}")
                and status.get("updatedNumberScheduled") == desired
                and status.get("numberAvailable") == desired
            )

        try:
            wait_for(rolled_out, ADDONS_TIMEOUT_S, interval=1, what=f"kube-proxy {version}")
        except WaitTimedOut as timed_out:
            raise BootstrapError(str(timed_out)) from None
