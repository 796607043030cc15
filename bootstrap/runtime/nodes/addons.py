"""Waiting for kubeadm's two addons to run as real pods on the joined nodes.

``join`` returns once every node is Ready; a cluster is usable for workloads a little later,
when kube-proxy runs on each node (Services) and a CoreDNS replica is Ready (names).
``wait_addons`` is that second point, so ``up --nodes N`` can say "ready" only then.
"""

from __future__ import annotations

import time
from typing import Any

from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

PODS = "/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3D{app}"


def _ready_on(pods: list[dict[str, Any]]) -> set[str]:
    """Nodes with a Ready pod among ``pods``."""
    ready = set()
    for pod in pods:
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            ready.add(str((pod.get("spec") or {}).get("nodeName", "")))
    return ready


def addons_ready(client: ApiClient, node_names: list[str]) -> bool:
    try:
        proxies = _ready_on(client.get(PODS.format(app="kube-proxy")).get("items") or [])
        dns = _ready_on(client.get(PODS.format(app="kube-dns")).get("items") or [])
    except ApiError:
        return False
    return set(node_names) <= proxies and bool(dns)


def wait_addons(state: StateDir, node_names: list[str], timeout: float = 120.0) -> float:
    """Wait until kube-proxy is Ready on every named node and a CoreDNS replica is Ready;
    return the seconds it took."""
    client = ApiClient.from_kubeconfig(state, "admin")
    started = time.monotonic()
    try:
        wait_for(lambda: addons_ready(client, node_names), timeout, interval=0.2)
    except WaitTimedOut:
        raise BootstrapError(
            f"timed out after {timeout:.0f}s waiting for kube-proxy on "
            f"{', '.join(node_names)} and a CoreDNS replica to be Ready"
        ) from None
    finally:
        client.close()
    return time.monotonic() - started
