"""A cluster brought up by the real kubeadm binary on our nodes: ``bring_up_kubeadm``.

The nodes are made (``node.make``) and booted in parallel (``node.boot``: containerd, the
images kubeadm needs, the kubelet's unit); ``kubeadm init --config`` runs on the first as soon as
they are in, ``kubeadm join --config`` (token discovery, CA pin) on each worker once init is
done, while the workloads' images load (not earlier: beside init, on two cores, they slowed it
more than they gained); each Node's pod CIDR is set to its network's as it registers
(``podcidr``); then every node is waited on until Ready, kube-proxy on each, CoreDNS
answering from each, and every image loaded. The cluster's ``admin.conf`` is copied to the
state dir: the host routes to the nodes' addresses. Any failure or interrupt tears down all of
it (``teardown_kubeadm``) before it propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.kubeadmrun import balancer, kubeadmconfig, node, podcidr, record, steps
from bootstrap.kubeadmrun.cpimages import ensure_control_plane_images
from bootstrap.kubeadmrun.readiness import DnsAsker, wait_cluster, wait_cluster_info_signed
from bootstrap.kubeadmrun.teardown import teardown_kubeadm
from bootstrap.phases.api import ApiClient
from bootstrap.runtime.nodes import lifecycle, network
from bootstrap.runtime.nodes.joining import offline_dns
from bootstrap.runtime.nodes.layout import MACHINE_ROOT
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.nodes.staging import Recorder
from bootstrap.runtime.spec import MAX_CONTROL_PLANES, MAX_KUBEADM_WORKERS
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.images.cache import is_system
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import deferred, leave_signals_to_the_main_thread, uninterruptible

Log = Callable[[str], None]
SERVICE_SUBNET = "10.96.0.0/12"
"""kubeadm's default: Service addresses exist only inside each node (kube-proxy's rules), so
clusters on one host may share it."""
DNS_DOMAIN = "cluster.local"


def stderr_log(line: str) -> None:
    stderr.line(line)


@dataclass(frozen=True)
class KubeadmCluster:
    """What ``bring_up_kubeadm`` made; ``teardown_kubeadm(state_dir)`` undoes it."""

    state_dir: Path
    admin_conf: Path
    endpoint: str
    """The API's address: the first control plane's, or the load balancer's."""
    control_planes: tuple[str, ...]
    workers: tuple[str, ...]
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds from the start of the bring-up: ``init``, ``joined``, ``ready`` (every node),
    ``addons`` (kube-proxy on each node, and CoreDNS answering from each node), ``images``
    (every image on every node: the workloads' images load while the cluster forms)."""

    @property
    def control_plane(self) -> str:
        return self.control_planes[0]

    @property
    def nodes(self) -> tuple[str, ...]:
        return (*self.control_planes, *self.workers)


def bring_up_kubeadm(
    state_dir: Path,
    kubeadm: Path | None = None,
    workers: int = 1,
    log: Log = stderr_log,
    control_planes: int = 1,
    version: str | None = None,
) -> KubeadmCluster:
    """``control_planes`` control-plane nodes (the first by ``kubeadm init``, the others by
    ``kubeadm join --control-plane`` behind a load balancer) and ``workers`` worker nodes by
    ``kubeadm join``, at the Kubernetes release ``version`` (the pinned one when None; see
    ``kubeadm_verify.pins.RELEASES``), with ``kubeadm`` (that release's when None); the
    cluster's records in ``state_dir``, which must be new or empty.

    Every node gets the release's set: its kubelet (``kubeadmconfig.KUBELET_IN_NODE``), the
    control plane's images built from its binaries for what ``kubeadm config images list``
    names, its etcd and CoreDNS at its kubeadm's pins, kube-proxy at the release."""
    if not 0 <= workers <= MAX_KUBEADM_WORKERS:
        raise UsageError(f"workers {workers}: expected 0 to {MAX_KUBEADM_WORKERS}")
    if not 1 <= control_planes <= MAX_CONTROL_PLANES:
        raise UsageError(f"control planes {control_planes}: expected 1 to {MAX_CONTROL_PLANES}")
    root = state_dir.absolute()
    state = StateDir(root, root.name)
    if state.exists() and (state.root / "nodes.json").exists():
        raise UsageError(f"{root} holds a cluster already; tear it down first")
    state.create()
    try:
        return _bring_up(state, kubeadm, version, (control_planes, workers), log)
    except BaseException:
        with uninterruptible():
            try:
                teardown_kubeadm(root, log)
            except BootstrapError as error:
                log(f"[teardown] after the failed bring-up: {error}")
        raise


def _bring_up(
    state: StateDir,
    kubeadm: Path | None,
    version: str | None,
    counts: tuple[int, int],
    log: Log,
) -> KubeadmCluster:
    started = time.monotonic()
    control_planes, workers = counts
    timings: dict[str, float] = {}
    parts = ensure_node_parts(version, None)
    archives = sorted(ensure_images(parts).glob("*.tar"))
    binary = (kubeadm or parts.binary("kubeadm")).absolute()
    if control_planes > 1:
        balancer.haproxy_binary()
    control_plane_archives = sorted(
        ensure_control_plane_images(binary, parts.binaries, parts.version).glob("*.tar")
    )
    record.begin(state, binary, parts.version)
    log(f"[kubeadm] binaries and images ready in {time.monotonic() - started:.1f}s")
    nodes = lifecycle.plan(state, "", runtime_root=MACHINE_ROOT)
    network.refuse_service_subnet(nodes.plan, SERVICE_SUBNET)
    entries = [
        node.make(state, nodes, parts, index, SERVICE_SUBNET, binary, index < control_planes)
        for index in range(control_planes + workers)
    ]
    balanced = ""
    if control_planes > 1:
        balanced = _start_balancer(state, nodes, parts, entries[:control_planes])
    first = [a for a in archives if is_system(a)]
    rest = [a for a in archives if not is_system(a)]
    recorder = Recorder(state, nodes)
    pool = ThreadPoolExecutor(
        max_workers=2 * len(entries),
        thread_name_prefix="kubeadm-node",
        initializer=leave_signals_to_the_main_thread,
    )
    try:
        booting = [
            pool.submit(
                node.boot,
                state,
                nodes,
                recorder,
                entry,
                parts,
                (control_plane_archives if entry.control_plane else []) + first,
                log,
            )
            for entry in entries
        ]
        leader = booting[0].result()
        log(f"[kubeadm] {leader.entry.name}: kubeadm init")
        credentials = steps.Credentials.for_control_planes(control_planes)
        endpoint = balanced or f"{leader.entry.address}:{kubeadmconfig.BIND_PORT}"
        pod_subnet = nodes.plan.pod_subnet
        steps.init(state, parts, leader, credentials, pod_subnet, SERVICE_SUBNET, balanced)
        timings["init"] = time.monotonic() - started
        loading = [pool.submit(_load_rest, booted, parts, rest) for booted in booting]
        record.update(state, endpoint=endpoint, admin_conf=str(state.admin_conf))
        _offline_dns(state)
        ca_hash = steps.ca_hash(leader)
        wait_cluster_info_signed(state, credentials.token_id)
        podcidr.assign_pod_cidr(state, leader.entry)
        # one control plane at a time (each adds an etcd member), then the workers at once
        for booted in booting[1:control_planes]:
            _join(state, parts, booted, endpoint, credentials, ca_hash)
            log(f"[kubeadm] {booted.result().entry.name}: joined as a control plane")
        joins = [
            pool.submit(_join, state, parts, booted, endpoint, credentials, ca_hash)
            for booted in booting[control_planes:]
        ]
        for done in joins:
            done.result()
        timings["joined"] = time.monotonic() - started
        log(f"[kubeadm] {workers} worker(s) joined; waiting for every node to be Ready")
        names = [entry.name for entry in entries]
        asker = DnsAsker(
            parts.host.nsenter,
            parts.host.dig,
            [network.netns_path(entry.netns) for entry in entries],
        )
        ready, addons = wait_cluster(state, names, asker, DNS_DOMAIN)
        timings["ready"] = ready - started
        timings["addons"] = addons - started
        for done in loading:
            done.result()
        timings["images"] = time.monotonic() - started
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    log(
        f"[kubeadm] {len(names)} node(s) Ready {timings['ready']:.1f}s after the start, "
        f"kube-proxy and CoreDNS answering on each {timings['addons']:.1f}s"
    )
    return KubeadmCluster(
        state.root,
        state.admin_conf,
        endpoint,
        tuple(names[:control_planes]),
        tuple(names[control_planes:]),
        timings,
    )


def _start_balancer(
    state: StateDir, nodes: NodesRecord, parts: NodeParts, control_planes: list[NodeEntry]
) -> str:
    """haproxy in the hub in front of ``control_planes``; returns its endpoint."""
    address = str(nodes.plan.uplink.far)
    config = Path(nodes.runtime_dir) / balancer.CONFIG_NAME
    backends = [(entry.name, entry.address) for entry in control_planes]
    config.write_text(balancer.config(address, backends), encoding="utf-8")
    hub = network.netns_path(nodes.plan.hub_netns)
    log_path = state.logs / "haproxy.log"
    with deferred():
        proc = balancer.start("balancer", parts.host.nsenter, hub, config, log_path)
        record.update(state, balancer=proc.as_dict())
    return f"{address}:{balancer.PORT}"


def _load_rest(booting: Future[node.Booted], parts: NodeParts, archives: list[Path]) -> None:
    node.load_rest(booting.result(), parts, archives)


def _join(
    state: StateDir,
    parts: NodeParts,
    booting: Future[node.Booted],
    endpoint: str,
    credentials: steps.Credentials,
    ca_hash: str,
) -> None:
    booted = booting.result()
    steps.join(state, parts, booted, endpoint, credentials, ca_hash)
    podcidr.assign_pod_cidr(state, booted.entry)


def _offline_dns(state: StateDir) -> None:
    """CoreDNS without ``forward``: there is no network to forward to (``nodes.offline``)."""
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        offline_dns(client, {"networking": {"dnsDomain": DNS_DOMAIN}})
    finally:
        client.close()
