"""A cluster brought up by the real kubeadm binary on our nodes: ``bring_up_kubeadm``.

The nodes are made (``node.make``) and booted in parallel (``node.boot``: containerd, the
images kubeadm needs, the kubelet's unit); ``kubeadm init --config`` runs on the first as soon as
they are in, ``kubeadm join --config`` (token discovery, CA pin) on each worker once init is
done, while the workloads' images load (not earlier: beside init, on two cores, they slowed it
more than they gained); then every node is waited on until Ready, kube-proxy on each, CoreDNS
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

from cryptography import x509

from bootstrap.kubeadm.files import write_private
from bootstrap.kubeadm.tokens import ca_cert_hash, generate_token
from bootstrap.kubeadmrun import commands, kubeadmconfig, node, record
from bootstrap.kubeadmrun.cpimages import ensure_control_plane_images
from bootstrap.kubeadmrun.machine import enter_argv
from bootstrap.kubeadmrun.readiness import DnsAsker, wait_cluster, wait_cluster_info_signed
from bootstrap.kubeadmrun.teardown import teardown_kubeadm
from bootstrap.phases.api import ApiClient
from bootstrap.runtime.nodes import cgroups, lifecycle, network
from bootstrap.runtime.nodes.joining import offline_dns
from bootstrap.runtime.nodes.kubeletcfg import SYSTEMD_RUNNING
from bootstrap.runtime.nodes.layout import MACHINE_ROOT
from bootstrap.runtime.nodes.staging import Recorder
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.images.cache import is_system
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import leave_signals_to_the_main_thread, uninterruptible

Log = Callable[[str], None]
SERVICE_SUBNET = "10.96.0.0/12"
"""kubeadm's default: Service addresses exist only inside each node (kube-proxy's rules), so
clusters on one host may share it."""
DNS_DOMAIN = "cluster.local"
INIT_TIMEOUT_S = 300.0
JOIN_TIMEOUT_S = 180.0
MAX_WORKERS = 8


def stderr_log(line: str) -> None:
    stderr.line(line)


@dataclass(frozen=True)
class KubeadmCluster:
    """What ``bring_up_kubeadm`` made; ``teardown_kubeadm(state_dir)`` undoes it."""

    state_dir: Path
    admin_conf: Path
    endpoint: str
    control_plane: str
    workers: tuple[str, ...]
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds from the start of the bring-up: ``init``, ``joined``, ``ready`` (every node),
    ``addons`` (kube-proxy on each node, and CoreDNS answering from each node), ``images``
    (every image on every node: the workloads' images load while the cluster forms)."""

    @property
    def nodes(self) -> tuple[str, ...]:
        return (self.control_plane, *self.workers)


def bring_up_kubeadm(
    state_dir: Path, kubeadm: Path | None = None, workers: int = 1, log: Log = stderr_log
) -> KubeadmCluster:
    """One control-plane node by ``kubeadm init`` and ``workers`` worker nodes by ``kubeadm
    join``, with ``kubeadm`` (the pinned one when None); the cluster's records in
    ``state_dir``, which must be new or empty."""
    if not 0 <= workers <= MAX_WORKERS:
        raise UsageError(f"workers {workers}: expected 0 to {MAX_WORKERS}")
    root = state_dir.absolute()
    state = StateDir(root, root.name)
    if state.exists() and (state.root / "nodes.json").exists():
        raise UsageError(f"{root} holds a cluster already; tear it down first")
    state.create()
    try:
        return _bring_up(state, kubeadm, workers, log)
    except BaseException:
        with uninterruptible():
            try:
                teardown_kubeadm(root, log)
            except BootstrapError as error:
                log(f"[teardown] after the failed bring-up: {error}")
        raise


def _bring_up(state: StateDir, kubeadm: Path | None, workers: int, log: Log) -> KubeadmCluster:
    started = time.monotonic()
    timings: dict[str, float] = {}
    parts = ensure_node_parts(None, None)
    archives = sorted(ensure_images(parts).glob("*.tar"))
    binary = (kubeadm or parts.binary("kubeadm")).absolute()
    control_plane_archives = sorted(
        ensure_control_plane_images(binary, parts.binaries, parts.version).glob("*.tar")
    )
    record.begin(state, binary, parts.version)
    log(f"[kubeadm] binaries and images ready in {time.monotonic() - started:.1f}s")
    nodes = lifecycle.plan(state, "", runtime_root=MACHINE_ROOT)
    network.refuse_service_subnet(nodes.plan, SERVICE_SUBNET)
    entries = [
        node.make(state, nodes, parts, index, SERVICE_SUBNET, binary)
        for index in range(workers + 1)
    ]
    recorder = Recorder(state, nodes)
    first = [a for a in archives if is_system(a)]
    rest = [a for a in archives if not is_system(a)]
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
        control_plane = booting[0].result()
        log(f"[kubeadm] {control_plane.entry.name}: kubeadm init")
        token = generate_token().value
        _init(state, parts, control_plane, token, nodes.plan.pod_subnet)
        timings["init"] = time.monotonic() - started
        loading = [pool.submit(_load_rest, booted, parts, rest) for booted in booting]
        endpoint = f"{control_plane.entry.address}:{kubeadmconfig.BIND_PORT}"
        record.update(state, endpoint=endpoint, admin_conf=str(state.admin_conf))
        _offline_dns(state)
        ca_hash = _ca_hash(control_plane)
        wait_cluster_info_signed(state, token.split(".")[0])
        joins = [
            pool.submit(_join, state, parts, booted, endpoint, token, ca_hash)
            for booted in booting[1:]
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
        state.root, state.admin_conf, endpoint, names[0], tuple(names[1:]), timings
    )


def _load_rest(booting: Future[node.Booted], parts: NodeParts, archives: list[Path]) -> None:
    node.load_rest(booting.result(), parts, archives)


def _kubelet_settings() -> dict[str, object]:
    return kubeadmconfig.machine_kubelet_settings(cgroups.is_v1(), SYSTEMD_RUNNING.is_dir())


def _run_kubeadm(
    state: StateDir,
    parts: NodeParts,
    booted: node.Booted,
    args: list[str],
    what: str,
    token: str,
    timeout: float,
) -> None:
    argv = [*enter_argv(parts.host.nsenter, booted.holder), *args]
    commands.run_logged(
        argv,
        node.machine_log(state, booted.entry.name, f"kubeadm-{what}"),
        timeout,
        what=f"kubeadm {what} on {booted.entry.name}",
        secrets=[token, token.split(".")[-1]],
        env=commands.command_env([parts.binaries]),
    )


def _init(
    state: StateDir,
    parts: NodeParts,
    booted: node.Booted,
    token: str,
    pod_subnet: str,
) -> None:
    config = kubeadmconfig.init_config(
        name=booted.entry.name,
        address=booted.entry.address,
        version=parts.version,
        pod_subnet=pod_subnet,
        service_subnet=SERVICE_SUBNET,
        token=token,
        kubelet=_kubelet_settings(),
    )
    booted.machine.write(kubeadmconfig.CONFIG_PATH, config, mode=0o600)
    args = [kubeadmconfig.KUBEADM_IN_NODE, "init", "--config", kubeadmconfig.CONFIG_PATH]
    args.append("--skip-token-print")
    _run_kubeadm(state, parts, booted, args, "init", token, INIT_TIMEOUT_S)
    admin = booted.machine.host_view("/etc/kubernetes/admin.conf")
    write_private(state.admin_conf, admin.read_bytes())


def _join(
    state: StateDir,
    parts: NodeParts,
    booting: Future[node.Booted],
    endpoint: str,
    token: str,
    ca_hash: str,
) -> None:
    booted = booting.result()
    config = kubeadmconfig.join_config(
        name=booted.entry.name, endpoint=endpoint, token=token, ca_hash=ca_hash
    )
    booted.machine.write(kubeadmconfig.CONFIG_PATH, config, mode=0o600)
    args = [kubeadmconfig.KUBEADM_IN_NODE, "join", "--config", kubeadmconfig.CONFIG_PATH]
    _run_kubeadm(state, parts, booted, args, "join", token, JOIN_TIMEOUT_S)


def _ca_hash(booted: node.Booted) -> str:
    pem = booted.machine.host_view("/etc/kubernetes/pki/ca.crt").read_bytes()
    return ca_cert_hash(x509.load_pem_x509_certificate(pem))


def _offline_dns(state: StateDir) -> None:
    """CoreDNS without ``forward``: there is no network to forward to (``nodes.offline``)."""
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        offline_dns(client, {"networking": {"dnsDomain": DNS_DOMAIN}})
    finally:
        client.close()
