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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bootstrap.kubeadmrun import commands, kubeadmconfig, record
from bootstrap.kubeadmrun.cpimages import ensure_control_plane_images
from bootstrap.kubeadmrun.machine import (
    Machine,
    enter_argv,
    in_running_node,
    install_in_running_node,
    socket_from_host,
)
from bootstrap.kubeadmrun.node import machine_of, path_dirs
from bootstrap.kubeadmrun.outage import restart_kubelet
from bootstrap.kubeadmrun.upgradepatches import write_patches
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.joining import node_ready
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import ProcessRecord, StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.images.cache import import_archives
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from bootstrap.upstream.versions import normalise_version, version_parts
from kubeadm_verify import stderr
from kubeadm_verify.access import Client, WaitTimedOut, wait_for
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
SETTLED_S = 15.0
"""How long the API server must stay ready after a control plane's kubelet is restarted: the
kubelet starts the node's static pods again within seconds of its start."""
SETTLE_TIMEOUT_S = 180.0
ADDONS_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class UpgradeOptions:
    """What a user may change of how kubeadm upgrades: ``patches`` (``{file name: text}``, as
    ``upgradepatches.read_patches`` reads them), kubeadm's ``timeouts.upgradeManifests``
    (``upgrade_manifests_s``; kubeadm's five minutes when None) and whether etcd is upgraded
    (``etcd_upgrade``, kubeadm's ``--etcd-upgrade``)."""

    patches: dict[str, str] = field(default_factory=dict)
    upgrade_manifests_s: float | None = None
    etcd_upgrade: bool = True

    def kubeadm_timeout(self, step: str) -> float:
        """The bound on one kubeadm step: room for each static pod kubeadm may wait for (etcd,
        the API server, controller-manager, scheduler), never less than the default's."""
        waits = 0.0 if self.upgrade_manifests_s is None else 4 * self.upgrade_manifests_s + 120
        return max(KUBEADM_TIMEOUTS[step], waits if step in STATIC_POD_STEPS else 0.0)


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
    old, new = version_parts(normalise_version(current)), version_parts(to)
    if new <= old:
        raise UsageError(f"--to {to}: the cluster runs {current}; an upgrade goes to a newer one")
    if new[0] != old[0] or new[1] - old[1] > 1:
        raise UsageError(
            f"--to {to}: the cluster runs {current}; kubeadm upgrades one minor release at a time"
        )
    return to


def upgrade_kubeadm_cluster(
    state_dir: Path,
    to_version: str,
    kubeadm: Path | None = None,
    log: Log = stderr.line,
    on_step: Callable[[Step], None] = lambda step: None,
    between: Callable[[], None] | None = None,
    options: UpgradeOptions | None = None,
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
    nodes = [_node(found, entry) for entry in sorted(found.nodes, key=lambda e: e.index)]
    control_planes = [n for n in nodes if n.entry.control_plane]
    workers = [n for n in nodes if not n.entry.control_plane]
    steps: list[Step] = []
    run = _Runner(state, steps, on_step, log)

    new = ensure_node_parts(target)
    binary = (kubeadm or new.binary("kubeadm")).absolute()
    with run.step("cluster", "images"):
        _load_images(current, new, binary, nodes)
    if between is not None:
        with run.step("cluster", "workload"):
            between()
    context = _Context(state, new, binary, target, options or UpgradeOptions())
    for index, node in enumerate([*control_planes, *workers]):
        for name in node_steps(first=index == 0):
            with run.step(node.name, name):
                ACTIONS[name](context, node)
    record.update(state, version=target)
    with run.step("cluster", "addons"):
        _wait_kube_proxy(state, target)
    return steps


DRAIN_FLAGS = ("--ignore-daemonsets", "--delete-emptydir-data", "--timeout=180s")
FIRST_CONTROL_PLANE = ("upgrade plan", "upgrade diff", "upgrade apply")
EVERY_OTHER_NODE = ("upgrade node",)
"""What kubeadm does on a node: the first control plane plans, shows and applies the upgrade;
every other node (control plane or worker) upgrades itself."""
KUBEADM_ARGS = {
    "upgrade plan": ("upgrade", "plan"),
    "upgrade diff": ("upgrade", "diff"),
    "upgrade apply": ("upgrade", "apply", "--yes"),
    "upgrade node": ("upgrade", "node"),
}
KUBEADM_TIMEOUTS = {
    "upgrade plan": PLAN_TIMEOUT_S,
    "upgrade diff": PLAN_TIMEOUT_S,
    "upgrade apply": APPLY_TIMEOUT_S,
    "upgrade node": NODE_TIMEOUT_S,
}
STATIC_POD_STEPS = ("upgrade apply", "upgrade node")
"""The steps in which kubeadm replaces static pods, each wait bounded by upgradeManifests."""


def node_steps(first: bool) -> tuple[str, ...]:
    """The steps on one node, in order (``first``: the first control plane)."""
    kubeadm = FIRST_CONTROL_PLANE if first else EVERY_OTHER_NODE
    return ("kubeadm", *kubeadm, "drain", "kubelet", "uncordon")


def kubeadm_in_node(step: str) -> list[str]:
    """The kubeadm command a step runs inside the node."""
    return [
        kubeadmconfig.KUBEADM_IN_NODE,
        *KUBEADM_ARGS[step],
        "--config",
        kubeadmconfig.UPGRADE_CONFIG_PATH,
    ]


def kubectl_args(step: str, node: str) -> list[str]:
    """The kubectl command (after ``kubectl --kubeconfig admin.conf``) a step runs."""
    return ["drain", node, *DRAIN_FLAGS] if step == "drain" else ["uncordon", node]


@dataclass(frozen=True)
class _Context:
    state: StateDir
    new: NodeParts
    kubeadm: Path
    target: str
    options: UpgradeOptions


def _place_kubeadm(context: _Context, node: _Node) -> None:
    install_in_running_node(node.holder, context.kubeadm, kubeadmconfig.KUBEADM_IN_NODE)
    patches_dir = in_running_node(node.holder, kubeadmconfig.UPGRADE_PATCHES_DIR)
    write_patches(patches_dir, node.entry.cgroup_root, context.options.patches)
    install_in_running_node(
        node.holder,
        None,
        kubeadmconfig.UPGRADE_CONFIG_PATH,
        text=kubeadmconfig.upgrade_config(
            context.target, context.options.upgrade_manifests_s, context.options.etcd_upgrade
        ),
        mode=0o600,
    )


def _run_kubeadm_step(step: str) -> Callable[[_Context, _Node], None]:
    def action(context: _Context, node: _Node) -> None:
        timeout = context.options.kubeadm_timeout(step)
        _kubeadm(context.state, context.new, node, step, timeout)
        if step == "upgrade apply":
            record.update(context.state, kubeadm=str(context.kubeadm))

    return action


def _run_kubectl_step(step: str) -> Callable[[_Context, _Node], None]:
    def action(context: _Context, node: _Node) -> None:
        _kubectl(context.state, context.new, node, kubectl_args(step, node.name), DRAIN_TIMEOUT_S)

    return action


def _swap_kubelet(context: _Context, node: _Node) -> None:
    install_in_running_node(
        node.holder, context.new.binary("kubelet"), kubeadmconfig.KUBELET_IN_NODE
    )
    restart_kubelet(context.state.root, node.name)
    _wait_kubelet(context.state, node.name, context.target)
    if node.entry.control_plane:
        _wait_api_settled(context.state, node.name)


ACTIONS: dict[str, Callable[[_Context, _Node], None]] = {
    "kubeadm": _place_kubeadm,
    **{step: _run_kubeadm_step(step) for step in KUBEADM_ARGS},
    "drain": _run_kubectl_step("drain"),
    "kubelet": _swap_kubelet,
    "uncordon": _run_kubectl_step("uncordon"),
}


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


def _load_images(current: str, new: NodeParts, kubeadm: Path, nodes: list[_Node]) -> None:
    """The new release's node images on every node, its control-plane images on each control
    plane: ``upgrade apply``'s ImagePull check then finds them, and nothing is pulled. Only the
    images the old release's nodes do not hold already under the same name (kube-proxy, CoreDNS,
    etcd of the new release): an image imported again under its name would point the name at
    another build, and the kubelet's image volumes would then no longer find the one they
    know."""
    held = {archive.name for archive in ensure_images(ensure_node_parts(current)).glob("*.tar")}
    system = sorted(a for a in ensure_images(new).glob("*.tar") if a.name not in held)
    control_plane = sorted(
        ensure_control_plane_images(kubeadm, new.binaries, new.version).glob("*.tar")
    )
    for node in nodes:
        archives = (control_plane if node.entry.control_plane else []) + system
        import_archives(new.part("ctr"), socket_from_host(node.holder), archives)


def _kubeadm(state: StateDir, parts: NodeParts, node: _Node, step: str, timeout: float) -> None:
    argv = [*enter_argv(parts.host.nsenter, node.holder), *kubeadm_in_node(step)]
    commands.run_logged(
        argv,
        state.logs / f"{node.name}-{step.replace(' ', '-')}.log",
        timeout,
        what=f"kubeadm {step} on {node.name}",
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


def _wait_api(
    state: StateDir, what: str, timeout: float, holds: Callable[[ApiClient], bool]
) -> None:
    """Until ``holds`` (asked through the cluster's admin client every second, an API error
    counting as not yet) is true; a ``BootstrapError`` naming ``what`` after ``timeout``."""
    with ApiClient.from_kubeconfig(state) as client:

        def holding() -> bool:
            try:
                return holds(client)
            except ApiError:
                return False

        try:
            wait_for(holding, timeout, interval=1, what=what)
        except WaitTimedOut as timed_out:
            raise BootstrapError(str(timed_out)) from None


def _wait_kubelet(state: StateDir, name: str, version: str) -> None:
    """Until the Node is Ready and its kubelet reports ``version``."""

    def upgraded(client: ApiClient) -> bool:
        node = client.get(f"/api/v1/nodes/{name}")
        info = (node.get("status") or {}).get("nodeInfo") or {}
        return info.get("kubeletVersion") == version and node_ready(node)

    _wait_api(state, f"{name}'s kubelet {version}", KUBELET_TIMEOUT_S, upgraded)


def _wait_api_settled(state: StateDir, node: str) -> None:
    """Until the API server has answered ``/readyz`` for ``SETTLED_S`` without a break, the
    controller-manager and the scheduler lead again (``stale_leaders``) and ``node``'s control
    plane pods are listed and Ready again (``unready_control_plane``): a new kubelet starts a
    control plane's static pods again (their hashes are its own) and makes their mirror pods
    anew, so the API server of the node goes away for a moment after the Node is back, and the
    controller-manager and scheduler, having lost their leases meanwhile, exit and come back
    after the kubelet's back-off. Until they do no endpoint leaves a Service when its pod is
    deleted, so the next drain must wait; until the mirror pods are back, the cluster does not
    show what it runs."""
    since: list[float] = []

    def settled(client: ApiClient) -> bool:
        try:
            ready = client.raw("GET", "/readyz", deadline_s=5).status == 200
        except ApiError:
            ready = False
        if not ready:
            since.clear()
            return False
        if not since:
            since.append(time.monotonic())
        return (
            time.monotonic() - since[0] >= SETTLED_S
            and not stale_leaders(client)
            and not unready_control_plane(client, node)
        )

    _wait_api(
        state,
        f"the API server to stay ready, the controllers to lead and {node}'s control-plane pods "
        "to be Ready",
        SETTLE_TIMEOUT_S,
        settled,
    )


CONTROL_PLANE_PODS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
"""The static pods every kubeadm control plane runs (etcd only when its etcd is local)."""


def unready_control_plane(client: Client, node: str) -> list[str]:
    """Which of ``CONTROL_PLANE_PODS`` has no Ready mirror pod on ``node``."""
    pods = client.get(
        "/api/v1/namespaces/kube-system/pods"
        f"?labelSelector=tier%3Dcontrol-plane&fieldSelector=spec.nodeName%3D{node}"
    )
    ready = {
        ((p.get("metadata") or {}).get("labels") or {}).get("component")
        for p in pods.get("items") or []
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
    }
    return [component for component in CONTROL_PLANE_PODS if component not in ready]


LEADERS = ("kube-controller-manager", "kube-scheduler")
LEASE_FRESH_S = 15.0
"""A leader renews its lease every 2 s and gives it up after 10 s without renewing (their
defaults): a lease older than this has no leader."""


def stale_leaders(client: Client) -> list[str]:
    """Which of ``LEADERS`` holds no lease renewed within ``LEASE_FRESH_S`` (by this host's
    clock, which the leaders, on this host, share)."""
    stale = []
    now = datetime.now(UTC)
    for holder in LEADERS:
        lease = client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{holder}")
        renewed = str((lease.get("spec") or {}).get("renewTime") or "")
        try:
            age = (now - datetime.fromisoformat(renewed.replace("Z", "+00:00"))).total_seconds()
        except ValueError:
            age = float("inf")
        if age > LEASE_FRESH_S:
            stale.append(holder)
    return stale


def _wait_kube_proxy(state: StateDir, version: str) -> None:
    """Until kube-proxy runs the new release on every node (``upgrade apply`` updated its
    DaemonSet; each pod is replaced in turn)."""
    path = "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy"

    def rolled_out(client: ApiClient) -> bool:
        daemonset = client.get(path)
        spec = daemonset["spec"]["template"]["spec"]["containers"][0]
        status = daemonset.get("status") or {}
        desired = status.get("desiredNumberScheduled")
        return (
            str(spec.get("image", "")).endswith(f":{version}")
            and status.get("updatedNumberScheduled") == desired
            and status.get("numberAvailable") == desired
        )

    _wait_api(state, f"kube-proxy {version}", ADDONS_TIMEOUT_S, rolled_out)
