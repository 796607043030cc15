"""The real nodes of ``up --nodes N``: staged while init runs, joined once it is done.

``stage_during_init`` runs in ``up``'s helper thread beside the init phases: the nodes' namespaces,
containerd and images (``staging``), then, once the kubeconfig phases have written
``kubelet.conf``, the control-plane host's kubelet, as kubeadm's ``kubelet-start`` starts it
before the control plane answers. ``start_real_nodes`` runs after init: discovery, the workers'
kubelets, ``mark-control-plane`` if init's own phase found no Node yet, then kube-proxy on
every node and a CoreDNS replica waited for while the last images load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases.api import ApiClient
from bootstrap.runtime.nodes.addressing import first_pod_subnet
from bootstrap.runtime.nodes.staging import Staged, stage
from bootstrap.runtime.state import StateDir

Log = Callable[[str], None]
JOIN_TIMEOUT = 120.0
"""Real nodes to Ready, as ``nodes.join`` waits."""


def stage_during_init(found: futures.Future[Path], config: BootstrapConfig, state: StateDir,
                      count: int, gates: tuple[threading.Event, threading.Event],
                      log: Log) -> Staged | None:
    """The control-plane host's node and ``count`` workers staged for the binaries ``found``
    (nothing, if finding them failed), then, once the first gate opens (the kubeconfigs are
    written) and unless the second one has (init failed), the control-plane host's kubelet."""
    if found.exception() is not None:
        return None
    from bootstrap.runtime.nodes.joining import prepare_parts, start_control_plane_kubelet
    from bootstrap.runtime.nodes.lifecycle import plan

    networking = config.cluster.networking
    staged = stage(state, count, plan, first_pod_subnet(networking.pod_subnet),
                   networking.service_subnet, prepare_parts(state), control_plane=True)
    kubeconfigs, give_up = gates
    try:
        kubeconfigs.wait()
        if not give_up.is_set():
            start_control_plane_kubelet(state, staged, config.cluster.cluster_name,
                                        kubelet_configuration(config), log)
    except BaseException:
        staged.settle()
        raise
    return staged


def kubelet_configuration(config: BootstrapConfig) -> dict[str, Any]:
    """The KubeletConfiguration ``upload-config/kubelet`` puts in the ConfigMap."""
    from bootstrap.kubeadm import objects
    from bootstrap.phases.init import RESOLVED_CONF

    resolv = RESOLVED_CONF if Path(RESOLVED_CONF).exists() else None
    return dict(objects.kubelet_configuration(config, resolv))


def start_real_nodes(config: BootstrapConfig, state: StateDir, count: int, log: Log,
                     staged: Staged | None = None) -> list[str]:
    """The control-plane host's node and ``count`` workers joined, the first marked by
    ``mark-control-plane`` as ``kubeadm init`` marks it (unless that phase found it
    registered already), then kube-proxy on each and CoreDNS waited for (the last images
    loading meanwhile): a cluster whose Services and names work when ``up`` returns.
    ``staged`` is ``_run_init``'s staging, done while the control plane started; without it
    the nodes join as ``nodes.join`` joins them."""
    from bootstrap.phases.init import mark_control_plane
    from bootstrap.runtime import nodes as real
    from bootstrap.runtime.nodes.joining import discovered, offline_dns, start_kubelets

    if staged is None:
        joined = real.join(state, count, log=log, control_plane=True)
    else:
        try:
            client = ApiClient.from_kubeconfig(state, "admin")
            try:  # the control-plane kubelet runs already: CoreDNS may start any moment
                offline_dns(client, {"networking": {
                    "dnsDomain": config.cluster.networking.dns_domain}})
            finally:
                client.close()
            joined = start_kubelets(state, staged, discovered(state, log), log, JOIN_TIMEOUT)
        except BaseException:
            staged.settle()
            raise
    if not _marked(state, config.node.name):
        mark_control_plane(config, state, log)
    names = [node.name for node in joined]
    try:
        took = real.wait_addons(state, names)
        if staged is not None:
            staged.wait_images()
    finally:
        if staged is not None:
            staged.settle()
    log(f"[addons] kube-proxy Ready on {len(names)} node(s) and CoreDNS Ready after {took:.1f}s")
    return names


def _marked(state: StateDir, name: str) -> bool:
    """The control-plane node carries mark-control-plane's taint already."""
    from bootstrap.phases.init import CONTROL_PLANE_TAINT

    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        node = client.get_or_none(f"/api/v1/nodes/{name}") or {}
    finally:
        client.close()
    taints = (node.get("spec") or {}).get("taints") or []
    return any(taint.get("key") == CONTROL_PLANE_TAINT for taint in taints)
