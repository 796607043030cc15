"""What the cluster can give the suite, found out once per session.

Each need maps to None (met) or the reason it is not, and a test whose needs are not met is
skipped with that reason: a cluster of simulated nodes is not a broken cluster, it is a cluster
where pods cannot really run, and the report says so instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.kube import Kube
from conformance.marker import Need
from conformance.nodes import names, real_kubelet_nodes, schedulable

DNS_NAMESPACE = "kube-system"
DNS_SERVICE = "kube-dns"


@dataclass(frozen=True)
class Needs:
    """``reasons[need]`` is None when the cluster meets the need, else why it does not."""

    reasons: Mapping[Need, str | None]

    def unmet(self, wanted: Iterable[Need]) -> str | None:
        """The first reason (in a stable order) a test wanting ``wanted`` cannot run."""
        for need in sorted(wanted):
            reason = self.reasons.get(need, f"the need {need} was not checked")
            if reason is not None:
                return f"needs {need}: {reason}"
        return None


def judge_nodes(nodes: list[Any]) -> str | None:
    if schedulable(nodes):
        return None
    if not nodes:
        return "the cluster has no nodes"
    return f"no Ready, schedulable node among {', '.join(names(nodes))}"


def judge_real_kubelet(nodes: list[Any]) -> str | None:
    if real_kubelet_nodes(nodes):
        return None
    return "every schedulable node is simulated (kwok) or there is none: nothing really runs"


def judge_dns(service: Any | None, slices: list[Any], real_nodes: set[str]) -> str | None:
    """DNS serves when kube-dns has a ready endpoint on a node that really runs pods."""
    if service is None:
        return f"there is no Service {DNS_NAMESPACE}/{DNS_SERVICE}"
    ready = [
        endpoint
        for item in slices
        for endpoint in item.endpoints or []
        if endpoint.conditions is None or endpoint.conditions.ready is not False
    ]
    if not ready:
        return f"Service {DNS_NAMESPACE}/{DNS_SERVICE} has no ready endpoints"
    if not any(endpoint.node_name in real_nodes for endpoint in ready):
        return f"the ready endpoints of {DNS_SERVICE} are all on simulated nodes"
    return None


def judge_cluster_admin(allowed: bool, user: str) -> str | None:
    return None if allowed else f"{user} is not allowed '*' on '*.*' (cluster-admin)"


def detect(kube: Kube) -> Needs:
    """Ask the cluster once; every answer is a read or a review, nothing is created."""
    nodes = kube.core.list_node().items
    real = {str(node.metadata.name) for node in real_kubelet_nodes(nodes)}
    admin, user = cluster_admin(kube)
    return Needs(
        {
            Need.NODES: judge_nodes(nodes),
            Need.REAL_KUBELET: judge_real_kubelet(nodes),
            Need.DNS: judge_real_kubelet(nodes) or judge_dns(*_dns_state(kube), real),
            Need.CLUSTER_ADMIN: judge_cluster_admin(admin, user),
        }
    )


def cluster_admin(kube: Kube) -> tuple[bool, str]:
    review = kube.authz.create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}}}
    )
    user = whoami(kube)
    return bool(review.status and review.status.allowed), user


def whoami(kube: Kube) -> str:
    try:
        review = kube.authn.create_self_subject_review({})
    except Exception:  # only a name for a message
        return "the current user"
    info = review.status.user_info if review.status else None
    return str(info.username) if info and info.username else "the current user"


def _dns_state(kube: Kube) -> tuple[Any | None, list[Any]]:
    services = kube.core.list_namespaced_service(
        DNS_NAMESPACE, field_selector=f"metadata.name={DNS_SERVICE}"
    ).items
    if not services:
        return None, []
    slices = kube.discovery.list_namespaced_endpoint_slice(
        DNS_NAMESPACE, label_selector=f"kubernetes.io/service-name={DNS_SERVICE}"
    ).items
    return services[0], list(slices)
