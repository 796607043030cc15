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
# Taints our pods tolerate: kwok's own marker taint (it only says "simulated"), and the ones this
# suite sets for its scheduling tests, so that one test's taint never starves another's pods.
TOLERATED_TAINT_KEYS = (KWOK_ANNOTATION,)
TOLERATED_TAINT_PREFIXES = (SUITE_PREFIX,)
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def tolerations() -> list[dict[str, str]]:
    """The tolerations every pod of the suite carries (see ``TOLERATED_TAINT_KEYS``)."""
    return [{"key": key, "operator": "Exists"} for key in TOLERATED_TAINT_KEYS]


def is_ready(node: Any) -> bool:
    conditions = node.status.conditions or [] if node.status else []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


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


def schedulable(nodes: Iterable[Any]) -> list[Any]:
    return [node for node in nodes if is_schedulable(node)]


def real_kubelet_nodes(nodes: Iterable[Any]) -> list[Any]:
    """Schedulable nodes a real kubelet runs (pods there really run, log and exec)."""
    return [node for node in schedulable(nodes) if not is_simulated(node)]


def names(nodes: Sequence[Any]) -> list[str]:
    return [str(node.metadata.name) for node in nodes]
