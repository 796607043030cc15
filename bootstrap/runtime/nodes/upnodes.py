"""The real nodes of ``up --nodes N``: staged while init runs, joined once it is done.

``stage_during_init`` runs in ``up``'s helper thread beside the init phases and makes what
costs little CPU: the nodes' namespaces, pod networks and containerds (``staging``). The image
imports, which cost most, wait for init to be done: run beside the control plane's start they
slowed it more than they gained (measured on a shared 2-core machine). ``start_real_nodes``
then opens that gate, starts the control-plane host's kubelet as soon as its system pods'
images are in (it needs no discovery: as kubeadm's ``kubelet-start``, it has ``kubelet.conf``),
runs discovery (which waits for the controller-manager to sign ``cluster-info``), starts each
worker's kubelet, marks the control-plane node, and waits for kube-proxy on every node and a
CoreDNS replica while the remaining images load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases.api import ApiClient
from bootstrap.runtime.nodes.staging import Staged, stage
from bootstrap.runtime.state import StateDir

Log = Callable[[str], None]
JOIN_TIMEOUT = 120.0
"""Real nodes to Ready, as ``nodes.join`` waits."""


def stage_during_init(
    found: futures.Future[Path], config: BootstrapConfig, state: StateDir, count: int
) -> Staged | None:
    """The control-plane host's node and ``count`` workers staged for the binaries ``found``
    (nothing, if finding them failed), their image imports held until ``Staged.go``."""
    if found.exception() is not None:
        return None
    from bootstrap.runtime.nodes.joining import prepare_parts
    from bootstrap.runtime.nodes.lifecycle import plan

    networking = config.cluster.networking
    return stage(
        state,
        count,
        plan,
        networking.pod_subnet or "",
        networking.service_subnet,
        prepare_parts(state),
        control_plane=True,
        hold_imports=True,
    )


def kubelet_configuration(config: BootstrapConfig) -> dict[str, Any]:
    """The KubeletConfiguration ``upload-config/kubelet`` puts in the ConfigMap."""
    from bootstrap.kubeadm import objects
    from bootstrap.phases.init import RESOLVED_CONF

    resolv = RESOLVED_CONF if Path(RESOLVED_CONF).exists() else None
    return dict(objects.kubelet_configuration(config, resolv))


def start_real_nodes(
    config: BootstrapConfig, state: StateDir, staged: Staged, log: Log
) -> list[str]:
    """The staged nodes joined: the control-plane host's first, marked by
    ``mark-control-plane`` as ``kubeadm init`` marks it, then kube-proxy on each and CoreDNS
    waited for (the last images loading meanwhile): a cluster whose Services and names work
    when ``up`` returns. ``staged`` is ``stage_during_init``'s answer."""
    from bootstrap.phases.init import mark_control_plane
    from bootstrap.runtime import nodes as real
    from bootstrap.runtime.nodes.joining import (
        discovered,
        offline_dns,
        start_control_plane_kubelet,
        start_kubelets,
    )

    started = time.monotonic()
    staged.go.set()
    names = [entry.name for entry in staged.entries]
    try:
        client = ApiClient.from_kubeconfig(state, "admin")
        try:
            offline_dns(client, {"networking": {"dnsDomain": config.cluster.networking.dns_domain}})
        finally:
            client.close()
        start_control_plane_kubelet(
            state, staged, config.cluster.cluster_name, kubelet_configuration(config), log
        )
        start_kubelets(state, staged, discovered(state, log), log, JOIN_TIMEOUT)
        mark_control_plane(config, state, log)
        took = real.wait_addons(state, names)
        staged.wait_images()
    finally:
        staged.settle()
    log(
        f"[addons] kube-proxy Ready on {len(names)} node(s) and CoreDNS Ready after {took:.1f}s "
        f"({time.monotonic() - started:.1f}s after init)"
    )
    return names
