"""What the suite needs to know about nodes: ready, schedulable for our pods, simulated or real.

Pure functions over node objects (the client's models), so the judgements are tested offline.
Simulated nodes are those kwok manages: kwok selects them by the ``kwok.x-k8s.io/node``
annotation, and they report pods Running without running anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

KWOK_ANNOTATION = "kwok.x-k8s.io/node"
SUITE_PREFIX = "kubeadm-verify.io/"
RUN_LABEL = f"{SUITE_PREFIX}test-run"
"""The label on everything the suite makes, the Node objects of its own included."""
# Taints our pods tolerate: kwok's own marker taint (it only says "simulated"), and the ones this
# suite sets for its scheduling tests, so that one test's taint never starves another's pods.
TOLERATED_TAINT_KEYS = (KWOK_ANNOTATION,)
TOLERATED_TAINT_PREFIXES = (SUITE_PREFIX,)
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def tolerations() -> list[dict[str, str]]:
    """The tolerations every pod of the suite carries (see ``TOLERATED_TAINT_KEYS``)."""
    return [{"key": key, "operator": "Exists"} for key in TOLERATED_TAINT_KEYS]


MESSAGE_CHARS = 200  # a condition's message can be a paragraph; the report wants one line


def ready_condition(node: Any) -> Any | None:
    """The node's ``Ready`` condition, None when no kubelet (or kwok) ever posted one."""
    conditions = node.status.conditions or [] if node.status else []
    return next((c for c in conditions if c.type == "Ready"), None)


def is_ready(node: Any) -> bool:
    condition = ready_condition(node)
    return condition is not None and condition.status == "True"


def is_simulated(node: Any) -> bool:
    annotations = node.metadata.annotations or {}
    return KWOK_ANNOTATION in annotations


def blocking_taints(node: Any) -> list[str]:
    """The NoSchedule/NoExecute taints our pods do not tolerate, as ``key:effect``."""
    blocking = []
    for taint in node.spec.taints or [] if node.spec else []:
        if taint.effect not in BLOCKING_EFFECTS:
            continue
        if taint.key in TOLERATED_TAINT_KEYS or taint.key.startswith(TOLERATED_TAINT_PREFIXES):
            continue
        blocking.append(f"{taint.key}:{taint.effect}")
    return blocking


def is_schedulable(node: Any) -> bool:
    """Ready, not cordoned, and no taint that would keep the suite's pods away."""
    unschedulable = bool(node.spec and node.spec.unschedulable)
    return is_ready(node) and not unschedulable and not blocking_taints(node)


# Taints the node lifecycle sets on its own when a node is unwell: they say how the node is,
# not what it is for, so a node carrying only these is still one the suite's pods are meant for.
HEALTH_TAINT_KEYS = frozenset(
    f"node.kubernetes.io/{name}"
    for name in (
        "not-ready",
        "unreachable",
        "network-unavailable",
        "memory-pressure",
        "disk-pressure",
        "pid-pressure",
    )
)


def meant_for_pods(node: Any) -> bool:
    """Not cordoned, and no taint but the health ones keeps the suite's pods away: a node the
    cluster's owner means to run workloads, whether or not it can just now."""
    if node.spec and node.spec.unschedulable:
        return False
    return all(t.split(":", 1)[0] in HEALTH_TAINT_KEYS for t in blocking_taints(node))


def not_ready_reason(node: Any) -> str | None:
    """Why the node is not Ready, in the words of its Ready condition (None when Ready)."""
    condition = ready_condition(node)
    if condition is None:
        return "NotReady: no kubelet has posted its status"
    if condition.status == "True":
        return None
    said = ": ".join(str(part) for part in (condition.reason, condition.message) if part)
    said = " ".join(said.split())
    if len(said) > MESSAGE_CHARS:
        said = said[: MESSAGE_CHARS - 3] + "..."
    return f"NotReady (Ready={condition.status}{', ' + said if said else ''})"


def unschedulable_reason(node: Any) -> str | None:
    """Why the suite's pods cannot land on the node (None when they can)."""
    not_ready = not_ready_reason(node)
    if not_ready is not None:
        return not_ready
    if node.spec and node.spec.unschedulable:
        return "cordoned (spec.unschedulable)"
    taints = blocking_taints(node)
    return f"tainted {', '.join(taints)}" if taints else None


def describe(nodes: Sequence[Any], limit: int = 5) -> str:
    """``name: why`` for each node the suite's pods cannot use, at most ``limit`` of them."""
    said = [
        f"{node.metadata.name} {reason}"
        for node in nodes
        if (reason := unschedulable_reason(node)) is not None
    ]
    more = f"; and {len(said) - limit} more" if len(said) > limit else ""
    return "; ".join(said[:limit]) + more


def schedulable(nodes: Iterable[Any]) -> list[Any]:
    return [node for node in nodes if is_schedulable(node)]


def real_nodes(nodes: Iterable[Any]) -> list[Any]:
    """Nodes a real kubelet registered (whatever their state): what kind of cluster this is."""
    return [node for node in nodes if not is_simulated(node)]


def real_kubelet_nodes(nodes: Iterable[Any]) -> list[Any]:
    """Schedulable nodes a real kubelet runs (pods there really run, log and exec)."""
    return schedulable(real_nodes(nodes))


def made_by_suite(node: Any) -> bool:
    """A Node object a test of the suite made (no kubelet behind it): never a node of the
    cluster's own, so no judgement of the cluster's nodes counts it."""
    return RUN_LABEL in (node.metadata.labels or {})


def names(nodes: Sequence[Any]) -> list[str]:
    return [str(node.metadata.name) for node in nodes]
