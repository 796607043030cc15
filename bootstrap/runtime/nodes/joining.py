"""The steps of one join: discovery once, the nodes staged (``staging``), then their kubelets.

``join_nodes`` runs them in that order against a running cluster; ``up`` stages while its
control plane starts and calls ``start_kubelets`` once discovery answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bootstrap.kubeadm.configtypes import DEFAULT_SERVICE_SUBNET
from bootstrap.kubeadm.files import write_private, write_public
from bootstrap.kubeadm.kubeconfig import render, token_kubeconfig
from bootstrap.kubeadm.yamlio import dump_yaml
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups, network
from bootstrap.runtime.nodes.addressing import configured_pod_subnet
from bootstrap.runtime.nodes.discovery import Discovered, discover
from bootstrap.runtime.nodes.kubeletcfg import SYSTEMD_RUNNING, kubelet_argv, kubelet_configuration
from bootstrap.runtime.nodes.layout import NodeLayout
from bootstrap.runtime.nodes.node import Node, pod_subnet_of
from bootstrap.runtime.nodes.offline import offline_corefile
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.nodes.staging import Planner, Staged, stage
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.images import ensure_images
from bootstrap.upstream.nodeparts import NodeParts, ensure_node_parts
from kubeadm_verify.access import WaitAborted, WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred

Log = Callable[[str], None]
POLL = 0.2


def _server(state: StateDir) -> str:
    info = state.cluster_record()
    return f"https://{info.advertise_address}:{info.bind_port}"


def _token(state: StateDir) -> str:
    tokens = state.cluster_record().tokens
    if not tokens:
        raise BootstrapError(f"{state.root} records no bootstrap token to join with")
    return str(tokens[0])


def prepare_parts(state: StateDir) -> tuple[NodeParts, Path]:
    """The node parts and image archives for the cluster's release, built or verified (a few
    seconds of hashing: ``up`` can run this while its init phases do)."""
    info = state.cluster_record()
    parts = ensure_node_parts(info.version or None, Path(info.bin_dir) if info.bin_dir else None)
    return parts, ensure_images(parts)


def join_nodes(
    state: StateDir,
    count: int,
    log: Log,
    timeout: float,
    planner: Planner,
    prepared: tuple[NodeParts, Path] | None = None,
    control_plane: bool = False,
) -> list[Node]:
    """``count`` workers, and with ``control_plane`` first the control-plane host's own node:
    discovery, staging, then the kubelets; returns once every node is Ready and every image
    is loaded."""
    found = discovered(state, log)
    networking = found.cluster.get("networking") or {}
    staged = stage(
        state,
        count,
        planner,
        pod_subnet_of(found.cluster),
        str(networking.get("serviceSubnet") or DEFAULT_SERVICE_SUBNET),
        prepared or prepare_parts(state),
        control_plane,
    )
    try:
        joined = start_kubelets(state, staged, found, log, timeout)
        staged.wait_images()
    finally:
        staged.settle()
    return joined


def discovered(state: StateDir, log: Log) -> Discovered:
    """What a joining node learns, by token discovery as ``kubeadm join`` does."""
    found = discover(_server(state), state.pki / "ca.crt", _token(state))
    log(f"[discovery] cluster-info verified with token id {_token(state).split('.')[0]}")
    return found


def start_control_plane_kubelet(
    state: StateDir, staged: Staged, cluster_name: str, kubelet: dict[str, Any], log: Log
) -> None:
    """The control-plane host's kubelet, as kubeadm init's ``kubelet-start`` configures it:
    from init's own KubeletConfiguration (the one ``upload-config/kubelet`` put in the
    ConfigMap), holding ``kubelet.conf``, with no discovery to wait for. Its node is Ready,
    and CoreDNS can start on it, while the workers still wait for the signed cluster-info."""
    entry = next(entry for entry in staged.entries if entry.control_plane)
    found = Discovered(
        _server(state), (state.pki / "ca.crt").read_bytes(), {"clusterName": cluster_name}, kubelet
    )
    _start_kubelet(state, staged, entry, found, log)


def start_kubelets(
    state: StateDir, staged: Staged, found: Discovered, log: Log, timeout: float
) -> list[Node]:
    """The joining half that needs the cluster: each staged node's kubelet files and kubelet
    (but one started already), each started as soon as its system images are in, then every
    node waited on until Ready."""
    configured = configured_pod_subnet(pod_subnet_of(found.cluster))
    if configured not in (None, staged.nodes.plan.pod_subnet):
        raise BootstrapError(
            f"the cluster's pod subnet is {configured}, "
            f"the nodes were staged for {staged.nodes.plan.pod_subnet}"
        )
    admin = ApiClient.from_kubeconfig(state, "admin")
    try:
        offline_dns(admin, found.cluster)
        started = time.monotonic()
        for entry in staged.entries:
            if not any(proc.component == "kubelet" for proc in entry.processes):
                _start_kubelet(state, staged, entry, found, log)
        _wait_ready(admin, staged.entries, state, timeout)
        for entry in staged.entries:
            _set_pod_cidr(admin, entry)
        took = time.monotonic() - started
        log(
            f"[kubelet-start] {len(staged.entries)} node(s) Ready after {took:.1f}s: "
            f"{', '.join(e.name for e in staged.entries)}"
        )
    finally:
        admin.close()
    return [Node(e.name, e.address, e.netns, e.pod_cidr, e.control_plane) for e in staged.entries]


def offline_dns(admin: ApiClient, cluster: dict[str, Any]) -> None:
    """CoreDNS's Corefile without ``forward`` (no network to forward to), before any CoreDNS
    pod can start."""
    path = "/api/v1/namespaces/kube-system/configmaps/coredns"
    current = admin.get_or_none(path)
    if current is None:
        return
    domain = str((cluster.get("networking") or {}).get("dnsDomain") or "cluster.local")
    corefile = offline_corefile(domain)
    if (current.get("data") or {}).get("Corefile") != corefile:
        admin.patch(path, {"data": {"Corefile": corefile}})


def _start_kubelet(
    state: StateDir, staged: Staged, entry: NodeEntry, found: Discovered, log: Log
) -> None:
    """The node's CA and kubelet files, then (its containerd up and its system pods' images
    in) the kubelet, which starts its TLS bootstrap."""
    layout = staged.nodes.layout(state, entry)
    write_public(layout.ca, found.ca_pem)
    _write_kubelet_files(layout, found, _token(state), entry)
    if entry.control_plane:
        if not state.kubeconfig("kubelet").is_file():
            raise BootstrapError(
                f"{state.root} has no kubelet.conf for {entry.name}: "
                "was it brought up by `kubeadm-verify up`?"
            )
        write_private(layout.kubeconfig, state.kubeconfig("kubelet").read_bytes())
    staged.wait_system(entry)
    argv = kubelet_argv(
        staged.parts.binary("kubelet"),
        staged.parts.host.nsenter,
        network.netns_path(entry.netns),
        layout,
        entry.address,
    )
    with deferred():  # started and recorded, or neither: the clean-up stops what is recorded
        staged.recorder.add(
            entry, process.start("kubelet", argv, layout.log(state.logs, "kubelet"))
        )
    log(
        f"[kubelet-start] {entry.name}: kubelet started ({entry.address}, pods "
        f"{entry.pod_cidr}); waiting for the TLS bootstrap"
    )


def _write_kubelet_files(
    layout: NodeLayout, found: Discovered, token: str, entry: NodeEntry
) -> None:
    name = str(found.cluster.get("clusterName") or "kubernetes")
    kubeconfig = token_kubeconfig(
        found.server, name, "tls-bootstrap-token-user", found.ca_pem, token
    )
    write_private(layout.bootstrap_kubeconfig, render(kubeconfig).encode())
    config = kubelet_configuration(
        found.kubelet,
        layout,
        entry.cgroup_root,
        cgroup_v1=cgroups.is_v1(),
        systemd=SYSTEMD_RUNNING.is_dir(),
    )
    write_private(layout.kubelet_config, dump_yaml(config).encode())


def node_ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _wait_ready(
    admin: ApiClient, entries: list[NodeEntry], state: StateDir, timeout: float
) -> None:
    waiting = {entry.name: entry for entry in entries}

    def all_ready() -> bool:
        for name in list(waiting):
            try:
                node = admin.get_or_none(f"/api/v1/nodes/{name}")
            except ApiError:
                node = None
            if node is not None and node_ready(node):
                del waiting[name]
        return not waiting

    def dead_process() -> str | None:
        for entry in waiting.values():
            dead = [p for p in entry.processes if not process.is_running(p)]
            if dead:
                return f"{entry.name}: {process.exited(dead[0])}"
        return None

    try:
        wait_for(all_ready, timeout, abort_if=dead_process, interval=POLL)
    except WaitAborted as aborted:
        raise BootstrapError(aborted.reason) from None
    except WaitTimedOut:
        logs = ", ".join(str(state.logs / f"{n}-kubelet.log") for n in waiting)
        raise BootstrapError(
            f"timed out after {timeout:.0f}s waiting for "
            f"{', '.join(waiting)} to be Ready; see {logs}"
        ) from None


def _set_pod_cidr(admin: ApiClient, entry: NodeEntry) -> None:
    """What the controller-manager's node IPAM would do with ``--allocate-node-cidrs``."""
    node = admin.get(f"/api/v1/nodes/{entry.name}")
    if (node.get("spec") or {}).get("podCIDR"):
        return
    admin.patch(
        f"/api/v1/nodes/{entry.name}",
        {"spec": {"podCIDR": entry.pod_cidr, "podCIDRs": [entry.pod_cidr]}},
    )
