"""The steps of one join: discovery once, then per node network, runtime, images and kubelet."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bootstrap.kubeadm.files import write_private, write_public
from bootstrap.kubeadm.kubeconfig import render, token_kubeconfig
from bootstrap.kubeadm.yamlio import dump_yaml
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes import cgroups, network, podnet, procs, record, runtime
from bootstrap.runtime.nodes.addressing import CONTROL_PLANE_INDEX
from bootstrap.runtime.nodes.discovery import Discovered, discover
from bootstrap.runtime.nodes.kubeletcfg import SYSTEMD_RUNNING, kubelet_argv, kubelet_configuration
from bootstrap.runtime.nodes.layout import NodeLayout
from bootstrap.runtime.nodes.offline import offline_corefile
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.images.cache import check_loaded, import_archives, is_system
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred

Log = Callable[[str], None]
Planner = Callable[[StateDir, str], NodesRecord]
POLL = 0.2


def _server(state: StateDir) -> str:
    info = state.cluster_record()
    port = int(info.get("ports", {}).get("bind_port", 6443))
    return f"https://{info['advertise_address']}:{port}"


def _token(state: StateDir) -> str:
    tokens = state.cluster_record().get("tokens") or []
    if not tokens:
        raise BootstrapError(f"{state.root} records no bootstrap token to join with")
    return str(tokens[0])


def prepare_parts(state: StateDir) -> tuple[NodeParts, Path]:
    """The node parts and image archives for the cluster's release, built or verified (a few
    seconds of hashing: ``up`` can run this while its init phases do)."""
    info = state.cluster_record()
    parts = ensure_node_parts(str(info.get("version") or "") or None,
                              Path(info["bin_dir"]) if info.get("bin_dir") else None)
    return parts, ensure_images(parts)


def join_nodes(state: StateDir, count: int, log: Log, timeout: float,
               planner: Planner, prepared: tuple[NodeParts, Path] | None = None,
               control_plane: bool = False) -> list[Any]:
    """``count`` workers, and with ``control_plane`` first the control-plane host's own node."""
    from bootstrap.runtime.nodes.lifecycle import Node, pod_subnet_of

    parts, images = prepared or prepare_parts(state)
    found = discover(_server(state), state.pki / "ca.crt", _token(state))
    log(f"[discovery] cluster-info verified with token id {_token(state).split('.')[0]}")
    nodes = planner(state, pod_subnet_of(found.cluster))
    admin = ApiClient.from_kubeconfig(state, "admin")
    try:
        _offline_dns(admin, found)
        started = time.monotonic()
        entries = _start_nodes(state, nodes, count, parts, images, found, log, control_plane)
        _wait_ready(admin, entries, state, timeout)
        for entry in entries:
            _set_pod_cidr(admin, entry)
        took = time.monotonic() - started
        log(f"[kubelet-start] {len(entries)} node(s) Ready after {took:.1f}s: "
            f"{', '.join(e.name for e in entries)}")
    finally:
        admin.close()
    return [Node(e.name, e.address, e.netns, e.pod_cidr, e.control_plane) for e in entries]


def _offline_dns(admin: ApiClient, found: Discovered) -> None:
    path = "/api/v1/namespaces/kube-system/configmaps/coredns"
    current = admin.get_or_none(path)
    if current is None:
        return
    domain = str((found.cluster.get("networking") or {}).get("dnsDomain") or "cluster.local")
    corefile = offline_corefile(domain)
    if (current.get("data") or {}).get("Corefile") != corefile:
        admin.patch(path, {"data": {"Corefile": corefile}})


def _prepare_node(state: StateDir, nodes: NodesRecord, parts: NodeParts,
                  found: Discovered, control_plane: bool = False) -> NodeEntry:
    """Record, then make, the node's namespace, cgroups and files (one node at a time: the
    namespace calls switch this thread's network namespace). The caller holds interrupts
    meanwhile: a namespace made after the clean-up looked would stay."""
    plan = nodes.plan
    index = CONTROL_PLANE_INDEX if control_plane else nodes.next_index()
    name = _control_plane_name(state) if control_plane else plan.node_name(index)
    entry = NodeEntry(index, name, plan.node_netns(index), str(plan.node_link(index).far),
                      plan.pod_cidr(index), plan.cgroup_root(index), control_plane=control_plane)
    nodes.nodes.append(entry)
    record.save(state, nodes)
    layout = NodeLayout.under(state.root, entry.name)
    layout.create()
    network.create_node_network(plan, index)
    cgroups.create(entry.cgroup_root)
    write_public(layout.ca, found.ca_pem)
    podnet.write_conflist(layout.cni_conf_dir, entry.pod_cidr, layout.cni_ipam)
    podnet.add_masquerade(parts.host.nsenter, network.netns_path(entry.netns),
                          parts.host.iptables, entry.pod_cidr, plan.pod_subnet)
    runtime.write_config(layout, parts)
    _write_kubelet_files(layout, found, _token(state), entry)
    if control_plane:
        write_private(layout.kubeconfig, state.kubeconfig("kubelet").read_bytes())
    return entry


def _control_plane_name(state: StateDir) -> str:
    name = str(state.cluster_record().get("node_name") or "")
    if not name or not state.kubeconfig("kubelet").is_file():
        raise BootstrapError(f"{state.root} has no control-plane node name or kubelet.conf: "
                             "was it brought up by `kubeadm-verify up`?")
    return name


class _Recorder:
    """Adds a started process to the record at once; nodes start in parallel threads. Once the
    join is abandoned (an interrupt or a failure in the main thread), a node thread starts
    nothing more: the clean-up waits for the threads, and should not wait for images to load."""

    def __init__(self, state: StateDir, nodes: NodesRecord) -> None:
        self.state, self.nodes, self.lock = state, nodes, threading.Lock()
        self.abandoned = threading.Event()

    def add(self, entry: NodeEntry, proc: procs.NodeProcess) -> None:
        with self.lock:
            entry.processes.append(proc)
            record.save(self.state, self.nodes)

    def go_on(self, entry: NodeEntry) -> None:
        if self.abandoned.is_set():
            raise BootstrapError(f"{entry.name}: join abandoned")


def _run_node(state: StateDir, entry: NodeEntry, parts: NodeParts, images: Path,
              recorder: _Recorder, log: Log) -> None:
    """containerd, the system pods' images, the kubelet (which starts its TLS bootstrap), then
    the other images while it does: no workload can land on the node before it is Ready, and
    ``join`` returns only then."""
    layout = NodeLayout.under(state.root, entry.name)
    netns = network.netns_path(entry.netns)
    recorder.add(entry, runtime.start(layout, parts, netns, entry.cgroup_root, state.logs))
    ctr, address, archives = parts.part("ctr"), str(layout.socket), list(images.glob("*.tar"))
    recorder.go_on(entry)
    import_archives(ctr, address, [a for a in archives if is_system(a)])
    argv = kubelet_argv(parts.binary("kubelet"), parts.host.nsenter, netns, layout,
                        entry.address)
    recorder.go_on(entry)
    recorder.add(entry, procs.spawn(entry.name, "kubelet", argv,
                                    layout.log(state.logs, "kubelet")))
    recorder.go_on(entry)
    import_archives(ctr, address, [a for a in archives if not is_system(a)])
    check_loaded(ctr, address, parts.version)
    log(f"[kubelet-start] {entry.name}: kubelet started ({entry.address}, pods "
        f"{entry.pod_cidr}); waiting for the TLS bootstrap")


def _start_nodes(state: StateDir, nodes: NodesRecord, count: int, parts: NodeParts,
                 images: Path, found: Discovered, log: Log,
                 control_plane: bool = False) -> list[NodeEntry]:
    with deferred():
        entries = [_prepare_node(state, nodes, parts, found, True)] if control_plane else []
        entries += [_prepare_node(state, nodes, parts, found) for _ in range(count)]
    recorder = _Recorder(state, nodes)
    with ThreadPoolExecutor(max_workers=len(entries), thread_name_prefix="node") as pool:
        running = [pool.submit(_run_node, state, entry, parts, images, recorder, log)
                   for entry in entries]
        try:
            for future in running:
                future.result()
        except BaseException:
            recorder.abandoned.set()
            raise
    return entries


def _write_kubelet_files(layout: NodeLayout, found: Discovered, token: str,
                         entry: NodeEntry) -> None:
    name = str(found.cluster.get("clusterName") or "kubernetes")
    kubeconfig = token_kubeconfig(found.server, name, "tls-bootstrap-token-user", found.ca_pem,
                                  token)
    write_private(layout.bootstrap_kubeconfig, render(kubeconfig).encode())
    config = kubelet_configuration(found.kubelet, layout, entry.cgroup_root,
                                   cgroup_v1=cgroups.is_v1(), systemd=SYSTEMD_RUNNING.is_dir())
    write_private(layout.kubelet_config, dump_yaml(config).encode())


def node_ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _wait_ready(admin: ApiClient, entries: list[NodeEntry], state: StateDir,
                timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = {entry.name: entry for entry in entries}
    while waiting:
        for name in list(waiting):
            try:
                node = admin.get_or_none(f"/api/v1/nodes/{name}")
            except ApiError:
                node = None
            if node is not None and node_ready(node):
                del waiting[name]
        for entry in waiting.values():
            dead = [p for p in entry.processes if not procs.alive(p)]
            if dead:
                raise BootstrapError(f"{entry.name}: {dead[0].component} exited; see {dead[0].log}")
        if waiting and time.monotonic() > deadline:
            logs = ", ".join(str(state.logs / f"{n}-kubelet.log") for n in waiting)
            raise BootstrapError(f"timed out after {timeout:.0f}s waiting for "
                                 f"{', '.join(waiting)} to be Ready; see {logs}")
        time.sleep(POLL)


def _set_pod_cidr(admin: ApiClient, entry: NodeEntry) -> None:
    """What the controller-manager's node IPAM would do with ``--allocate-node-cidrs``."""
    node = admin.get(f"/api/v1/nodes/{entry.name}")
    if (node.get("spec") or {}).get("podCIDR"):
        return
    admin.patch(f"/api/v1/nodes/{entry.name}",
                {"spec": {"podCIDR": entry.pod_cidr, "podCIDRs": [entry.pod_cidr]}})
