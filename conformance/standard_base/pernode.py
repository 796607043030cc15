"""Behaviour that lives on each node, exercised on every schedulable real node.

The pod network, kube-proxy's rules, the ``resolv.conf`` a kubelet writes, the kubelet's exec,
logs and port-forward, the cgroup limits its runtime sets: each node has its own, so one broken
node of many is found only by a test that puts a pod on every node. The tests pin one pod per
node (``nodeName``), create them all before waiting for any, so the nodes start them at the same
time and a test takes as long on ten nodes as on two; a failure names each node that failed.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.nodelist import list_nodes
from conformance.standard_base.nodes import (
    describe,
    meant_for_pods,
    real_kubelet_nodes,
    real_nodes,
)

MESSAGE_CHARS = 240  # what one node's failure may take of a report line


def pod_nodes(kube: Kube) -> list[str]:
    """Every schedulable real node, by name, sorted.

    A real node the cluster's owner means for workloads (not cordoned, no taint but the health
    ones) that cannot take a pod is a fault, so the test fails naming it rather than test the
    others and pass; a cluster of one node is a kind of cluster, and gives one name.
    """
    listed = list_nodes(kube)
    found = sorted(str(n.metadata.name) for n in real_kubelet_nodes(listed))
    assert found, "no schedulable node with a real kubelet"
    meant = [n for n in real_nodes(listed) if meant_for_pods(n)]
    missing = [n for n in meant if str(n.metadata.name) not in found]
    assert not missing, (
        f"{len(meant)} real nodes are meant for the suite's pods but {len(found)} can take "
        f"them: {describe(missing)}"
    )
    return found


@dataclass(frozen=True)
class Placed:
    """One pod of a per-node set: its name and the node it is pinned to."""

    pod: str
    node: str


def place(
    kube: Kube,
    namespace: str,
    prefix: str,
    nodes: Sequence[str],
    manifest: Callable[[str, str], b.Manifest],
) -> list[Placed]:
    """Create ``manifest(name, node)`` pinned to each node, all before any is waited for; pods
    are named ``<prefix>-<index>`` (node names can be longer than a pod's hostname may be)."""
    placed = [Placed(f"{prefix}-{index}", node) for index, node in enumerate(nodes)]
    for one in placed:
        body = manifest(one.pod, one.node)
        body["spec"]["nodeName"] = one.node
        kube.core.create_namespaced_pod(namespace, body)
    return placed


def _bounded(text: str) -> str:
    said = " ".join(text.split())
    return said if len(said) <= MESSAGE_CHARS else said[: MESSAGE_CHARS - 3] + "..."


def failures(found: Mapping[str, str | None]) -> str:
    """``node: why`` for each node whose ``why`` is not None, joined on one line."""
    return "; ".join(
        f"{node}: {_bounded(why)}" for node, why in sorted(found.items()) if why is not None
    )


def assert_every_node(found: Mapping[str, str | None], what: str) -> None:
    """Fail naming every node that did not show ``what`` (``found[node]`` says why)."""
    said = failures(found)
    bad = sum(why is not None for why in found.values())
    assert not said, f"{what}: not on {bad} of {len(found)} nodes: {said}"


def where(one: Placed, placed: Sequence[Placed]) -> str:
    """How a failure names ``one``: its node, and its pod too when the node has more than one
    of ``placed`` (a cluster of one node, a server beside its client), so that no pod's verdict
    stands in for another's."""
    shared = sum(other.node == one.node for other in placed) > 1
    return f"{one.node} ({one.pod})" if shared else one.node


def wait_every(
    kube: Kube,
    namespace: str,
    placed: Sequence[Placed],
    what: str,
    judge: Callable[[Any], str | None],
    timeout: float,
) -> dict[str, Any]:
    """Each placed pod once ``judge(pod)`` says nothing against it (None), by pod name.

    One poll lists the namespace's pods, so waiting for ten costs what waiting for one does; at
    the deadline the failure names every node whose pod is not there yet, and why.
    """
    wanted = {one.pod: where(one, placed) for one in placed}

    def probe() -> dict[str, Any]:
        pods = {
            str(p.metadata.name): p
            for p in kube.core.list_namespaced_pod(namespace).items
            if p.metadata.name in wanted
        }
        why = {
            said_as: ("the pod is gone" if pod not in pods else judge(pods[pod]))
            for pod, said_as in wanted.items()
        }
        said = failures(why)
        assert not said, said
        return pods

    found: dict[str, Any] = wait_for(f"{what} on every node", probe, timeout)
    return found


def phase_in(*phases: str) -> Callable[[Any], str | None]:
    """A judge for :func:`wait_every`: the pod's phase is one of ``phases``; a terminal phase
    not asked for is said as such (it will not change)."""

    def judge(pod: Any) -> str | None:
        phase = pod.status.phase if pod.status else None
        if phase in phases:
            return None
        return f"pod {pod.metadata.name} is {phase}{_waiting(pod)}"

    return judge


def running_ready(pod: Any) -> str | None:
    """A judge for :func:`wait_every`: Running and Ready."""
    phase = pod.status.phase if pod.status else None
    conditions = pod.status.conditions or [] if pod.status else []
    if phase == "Running" and any(c.type == "Ready" and c.status == "True" for c in conditions):
        return None
    return f"pod {pod.metadata.name} is {phase}, not Ready{_waiting(pod)}"


def addressed(pod: Any) -> str | None:
    """A judge for :func:`wait_every`: Running, Ready, and its pod IP in its status, which is
    what another pod needs to reach it (the status as one API server has it can lag another's
    behind a load balancer)."""
    said = running_ready(pod)
    if said is None and not pod.status.pod_ip:
        return f"pod {pod.metadata.name} is Ready, its status has no pod IP yet"
    return said


def _waiting(pod: Any) -> str:
    """Why a container is not running yet (an image missing, a sandbox that failed), if said."""
    statuses = pod.status.container_statuses or [] if pod.status else []
    for status in statuses:
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason:
            return f" ({waiting.reason}{': ' + waiting.message if waiting.message else ''})"
    return ""
