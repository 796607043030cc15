"""scheduling: pods bound to suitable nodes, node selectors and affinity, taints and
tolerations, resource fit, LimitRange defaults.

Tests that label or taint a node use keys under ``kubeadm-verify.io/`` and remove them in
``finally`` (``--cleanup`` removes any an interrupted run left); the suite's other pods ignore
such taints' nodes only while they last, and no test counts on a particular node.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, refused, server_said, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import list_nodes
from conformance.standard_base.nodes import SUITE_PREFIX, schedulable
from conformance.standard_base.workloads import wait_scheduled, wait_unschedulable

SIG = "[sig-scheduling]"


def _a_node(kube: Kube) -> Any:
    nodes = schedulable(list_nodes(kube))
    assert nodes, "no schedulable node"
    return nodes[0]


def _tolerating_every_taint(manifest: b.Manifest) -> b.Manifest:
    """``manifest`` tolerating every taint, so that the scheduler's reason for leaving it
    Pending is the one the test provokes: ``scheduling/taints-tolerations`` taints a real node
    for a few seconds, and on a cluster with one worker a taint is every node's first reason."""
    manifest["spec"]["tolerations"] = [{"operator": "Exists"}]
    return manifest


@contextmanager
def _node_label(kube: Kube, node: str, key: str, value: str) -> Iterator[None]:
    kube.core.patch_node(node, {"metadata": {"labels": {key: value}}})
    try:
        yield
    finally:
        kube.core.patch_node(node, {"metadata": {"labels": {key: None}}})


@contextmanager
def _node_taint(kube: Kube, node: str, taint: dict[str, str]) -> Iterator[None]:
    current = kube.core.read_node(node).spec.taints or []
    kept = [{"key": t.key, "value": t.value, "effect": t.effect} for t in current]
    kube.core.patch_node(node, {"spec": {"taints": [*kept, taint]}})
    try:
        yield
    finally:
        now = kube.core.read_node(node).spec.taints or []
        rest = [
            {"key": t.key, "value": t.value, "effect": t.effect}
            for t in now
            if t.key != taint["key"]
        ]
        kube.core.patch_node(node, {"spec": {"taints": rest}})


@standard_base(id="scheduling/pod-bound", needs=["nodes"], timeout=30)
def test_pod_bound(kube: Kube, kv_namespace: str) -> None:
    """The scheduler binds a pod to a schedulable node, sets PodScheduled and records a Scheduled
    event.
    """
    kube.core.create_namespaced_pod(kv_namespace, b.pod("bound", {"app": "bound"}))
    pod = wait_scheduled(kube, kv_namespace, "bound", 20)
    eligible = {n.metadata.name for n in schedulable(list_nodes(kube))}
    assert pod.spec.node_name in eligible, f"bound to {pod.spec.node_name}, not in {eligible}"
    scheduled = [c for c in pod.status.conditions or [] if c.type == "PodScheduled"]
    assert scheduled and scheduled[0].status == "True", "no PodScheduled=True condition"

    def scheduled_event() -> bool:
        # The scheduler's event recorder writes after the binding, from its own queue.
        return bool(
            kube.core.list_namespaced_event(
                kv_namespace, field_selector="involvedObject.name=bound,reason=Scheduled"
            ).items
        )

    wait_for("the scheduler to record a Scheduled event for the pod", scheduled_event, 8)


@standard_base(
    id="scheduling/node-selector",
    conformance=[
        f"{SIG} SchedulerPredicates validates that NodeSelector is respected if matching "
        "[Conformance] [Serial]",
        f"{SIG} SchedulerPredicates validates that NodeSelector is respected if not matching "
        "[Conformance] [Serial]",
    ],
    needs=["nodes", "cluster-admin"],
    timeout=45,
)
def test_node_selector(kube: Kube, kv_namespace: str) -> None:
    """A pod whose nodeSelector matches no node stays Pending; it is scheduled once a node carries
    the label.
    """
    restricted = b.pod("restricted-pod", {"name": "restricted"}, nodeSelector={"label": "nonempty"})
    kube.core.create_namespaced_pod(kv_namespace, restricted)
    wait_unschedulable(kube, kv_namespace, "restricted-pod", 20)
    node = _a_node(kube).metadata.name
    key = f"{SUITE_PREFIX}e2e-{secrets.token_hex(6)}"
    with _node_label(kube, node, key, "42"):
        labels = kube.core.read_node(node).metadata.labels or {}
        assert labels.get(key) == "42", f"node {node} did not take the label {key}"
        kube.core.create_namespaced_pod(
            kv_namespace, b.pod("with-labels", None, nodeSelector={key: "42"})
        )
        pod = wait_scheduled(kube, kv_namespace, "with-labels", 20)
        assert pod.spec.node_name == node, f"scheduled on {pod.spec.node_name}, not {node}"


@standard_base(id="scheduling/node-affinity", needs=["nodes"], timeout=45)
def test_node_affinity(kube: Kube, kv_namespace: str) -> None:
    """Required node affinity pins a pod to the node it names; an affinity no node meets leaves the
    pod unschedulable.
    """
    node = _a_node(kube).metadata.name

    def affinity(operator: str, values: list[str]) -> dict[str, Any]:
        term = {
            "matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": operator, "values": values}
            ]
        }
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
            }
        }

    kube.core.create_namespaced_pod(
        kv_namespace, b.pod("pinned", None, affinity=affinity("In", [node]))
    )
    pod = wait_scheduled(kube, kv_namespace, "pinned", 20)
    assert pod.spec.node_name == node, f"affinity to {node}, bound to {pod.spec.node_name}"
    every = [n.metadata.name for n in list_nodes(kube)]
    nowhere = b.pod("nowhere", None, affinity=affinity("NotIn", every))
    kube.core.create_namespaced_pod(kv_namespace, _tolerating_every_taint(nowhere))
    message = wait_unschedulable(kube, kv_namespace, "nowhere", 20)
    assert "affinity" in message.lower() or "selector" in message.lower(), (
        f"the scheduler's reason does not name the affinity: {message}"
    )


@standard_base(id="scheduling/taints-tolerations", needs=["nodes", "cluster-admin"], timeout=45)
def test_taints_tolerations(kube: Kube, kv_namespace: str) -> None:
    """A NoSchedule taint keeps a pod away from a node unless the pod tolerates it."""
    node = _a_node(kube).metadata.name
    key = f"{SUITE_PREFIX}taint-{secrets.token_hex(6)}"
    taint = {"key": key, "value": "testing", "effect": "NoSchedule"}
    pinned = {"kubernetes.io/hostname": node}
    with _node_taint(kube, node, taint):
        kube.core.create_namespaced_pod(
            kv_namespace, b.pod("intolerant", None, nodeSelector=pinned)
        )
        message = wait_unschedulable(kube, kv_namespace, "intolerant", 20)
        assert "taint" in message.lower(), f"the scheduler's reason is not the taint: {message}"
        tolerant = b.pod("tolerant", None, nodeSelector=pinned)
        tolerant["spec"]["tolerations"].append(
            {"key": key, "operator": "Equal", "value": "testing", "effect": "NoSchedule"}
        )
        kube.core.create_namespaced_pod(kv_namespace, tolerant)
        pod = wait_scheduled(kube, kv_namespace, "tolerant", 20)
        assert pod.spec.node_name == node, f"bound to {pod.spec.node_name}, not {node}"


def _cpu_millis(quantity: str) -> int:
    if quantity.endswith("m"):
        return int(quantity[:-1])
    return int(float(quantity) * 1000)


@standard_base(id="scheduling/resource-fit", needs=["nodes"], timeout=45)
def test_resource_fit(kube: Kube, kv_namespace: str) -> None:
    """A pod asking for more CPU than any node has stays Pending for insufficient cpu; one that
    fits is scheduled.
    """
    listed = list_nodes(kube)
    nodes = schedulable(listed)
    # more than any node has, tainted ones too (the pod tolerates their taints); a Node object
    # no kubelet reports on has no allocatable CPU
    largest = max(
        _cpu_millis(node.status.allocatable["cpu"])
        for node in listed
        if "cpu" in node.status.allocatable
    )
    too_big = b.pod(
        "too-big", None, b.container(resources={"requests": {"cpu": f"{largest + 1}m"}})
    )
    kube.core.create_namespaced_pod(kv_namespace, _tolerating_every_taint(too_big))
    message = wait_unschedulable(kube, kv_namespace, "too-big", 20)
    assert "insufficient cpu" in message.lower(), f"the reason is not the CPU: {message}"
    fits = b.pod("fits", None, b.container(resources={"requests": {"cpu": "100m"}}))
    kube.core.create_namespaced_pod(kv_namespace, fits)
    pod = wait_scheduled(kube, kv_namespace, "fits", 20)
    node = next(n for n in nodes if n.metadata.name == pod.spec.node_name)
    assert _cpu_millis(node.status.allocatable["cpu"]) >= 100, (
        "the node has less than 100m CPU allocatable"
    )


def _resources(cpu: str, memory: str) -> dict[str, str]:
    return {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}


@standard_base(id="scheduling/limit-range", timeout=30)
def test_limit_range(kube: Kube, kv_namespace: str) -> None:
    """LimitRange defaults are applied to pods, and min/max enforced at admission."""
    kube.core.create_namespaced_limit_range(
        kv_namespace,
        {
            "metadata": {"name": "limit-range"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "min": _resources("50m", "100Mi"),
                        "max": _resources("500m", "500Mi"),
                        "default": _resources("500m", "500Mi"),
                        "defaultRequest": _resources("100m", "200Mi"),
                    }
                ]
            },
        },
    )

    def pod_with(name: str, requests: dict[str, str], limits: dict[str, str]) -> Any:
        body = b.pod(name, None, b.container(resources={"requests": requests, "limits": limits}))
        return kube.core.create_namespaced_pod(kv_namespace, body)

    bare = pod_with("pod-no-resources", {}, {}).spec.containers[0].resources
    assert bare.requests == _resources("100m", "200Mi"), f"default requests: {bare.requests}"
    assert bare.limits == _resources("500m", "500Mi"), f"default limits: {bare.limits}"
    partial = pod_with("pod-partial-resources", {"memory": "150Mi"}, {"cpu": "300m"})
    merged = partial.spec.containers[0].resources
    assert merged.requests == _resources("300m", "150Mi"), f"merged requests: {merged.requests}"
    assert merged.limits == _resources("300m", "500Mi"), f"merged limits: {merged.limits}"
    small = refused(
        "a pod below the minimum", lambda: pod_with("too-small", _resources("10m", "50Mi"), {})
    )
    large = refused(
        "a pod above the maximum",
        lambda: pod_with("too-large", _resources("600m", "600Mi"), _resources("600m", "600Mi")),
    )
    for word, error in (("minimum", small), ("maximum", large)):
        assert error.status in (403, 422), f"a pod beyond the {word}: HTTP {error.status}"
        assert word in str(error.body), (
            f"a pod beyond the {word} refused for another reason: {server_said(error.body)}"
        )
