"""node: a NoExecute taint evicts the pods that do not tolerate it, when their toleration ends.

Upstream taints a real node (test/e2e/node/taints.go), which would evict every other test's pods
running there. Here the test makes two Node objects of its own, which no kubelet backs, binds
its pods to them by ``nodeName`` and taints those: kube-controller-manager's taint-eviction
controller works from the API alone (a node's taints, its pods' tolerations), so what it does
to these pods is what it does to any. The pods never run, so evicted means deleted by the
controller: a deletionTimestamp and its ``DisruptionTarget`` condition (``DeletionByTaintManager``),
which the test reads before it force-deletes them.

The nodes never report, so the node lifecycle controller would mark them unreachable after its
startup grace period (60 s by default) and taint them ``NoExecute`` itself; every pod here
tolerates those health taints for ever, so only the test's own taint can evict it. The nodes
are cordoned and carry no ``kubernetes.io/os`` label, so neither the scheduler nor kube-proxy's
DaemonSet places anything on them, and they carry the kwok key (with a value kwok does not
manage) so the tests that visit every real node pass them by.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodes import KWOK_ANNOTATION, SUITE_PREFIX, tolerations

SIG = "[sig-node]"
TAINT = {"key": f"{SUITE_PREFIX}e2e-evict-taint-key", "value": "evictTaintVal"}
EVICT_AFTER_S = 4
"""The toleration of the pod that must be evicted once it ends (upstream: 5 and 25 s)."""
CANCEL_WITHIN_S = 8
"""The toleration of the pod whose node loses the taint before it ends (upstream: 10 s)."""
QUIET_S = 3
"""How long past its toleration the pod whose taint was removed must still be there."""
AT_ONCE_S = CANCEL_WITHIN_S - 3
"""How soon a pod that tolerates nothing is evicted: the controller acts on the node's update;
the taint is removed only after this, so the cancellation is judged after the controller had
queued the evictions."""
EARLY_SLACK_S = 0.5
"""What a clock may drift between the controller's trigger and this test's own watch."""
GRACE_S = 30  # the pods keep their deletionTimestamp (no kubelet confirms) until force-deleted
HEALTH_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
GROUP_LABEL = "taint-group"


def _node(name: str, run_id: str) -> b.Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": b.metadata(
            name, b.run_labels(run_id), annotations={KWOK_ANNOTATION: "taint-eviction"}
        ),
        "spec": {"unschedulable": True},
    }


def _pod(name: str, group: str, node: str, toleration_s: int | None, tolerates: bool) -> b.Manifest:
    """A pause pod bound to ``node``: tolerating the test's taint not at all, for
    ``toleration_s`` seconds, or (``toleration_s`` None) for ever; the health taints for ever."""
    own: list[dict[str, Any]] = []
    if tolerates:
        own.append({**TAINT, "operator": "Equal", "effect": "NoExecute"})
        if toleration_s is not None:
            own[0]["tolerationSeconds"] = toleration_s
    health = [{"key": key, "operator": "Exists", "effect": "NoExecute"} for key in HEALTH_TAINTS]
    manifest = b.pod(name, {GROUP_LABEL: group}, nodeName=node)
    manifest["spec"]["tolerations"] = [*tolerations(), *health, *own]
    manifest["spec"]["terminationGracePeriodSeconds"] = GRACE_S
    return manifest


def _set_taint(kube: Kube, node: str, present: bool) -> None:
    """Add (with the time it was added) or remove the test's NoExecute taint, keeping the
    others (the not-ready taint the API server gave the new node)."""
    current = kube.core.read_node(node).spec.taints or []
    kept = [
        {"key": t.key, "value": t.value, "effect": t.effect}
        for t in current
        if t.key != TAINT["key"]
    ]
    if present:
        added = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        kept.append({**TAINT, "effect": "NoExecute", "timeAdded": added})
    kube.core.patch_node(node, {"spec": {"taints": kept}})


def _evicted_by_controller(pod: Any) -> str | None:
    """None when the taint-eviction controller deleted the pod, else what the pod shows."""
    conditions = pod.status.conditions or [] if pod.status else []
    target = next((c for c in conditions if c.type == "DisruptionTarget"), None)
    if target is None or target.status != "True" or target.reason != "DeletionByTaintManager":
        said = f"{target.reason} ({target.status})" if target else "none"
        return (
            f"pod {pod.metadata.name} was deleted without the taint-eviction controller's "
            f"DisruptionTarget condition (DeletionByTaintManager): its condition is {said}"
        )
    return None


@dataclass
class Watch:
    """When each pod was first seen deleted, in seconds after the taint was applied."""

    kube: Kube
    namespace: str
    group: str
    pods: frozenset[str]
    started: float
    seen: dict[str, float] = field(default_factory=dict)
    why_not: dict[str, str] = field(default_factory=dict)

    def look(self) -> None:
        """Read the pods once; the time is taken after the answer, so a pod is never seen
        deleted earlier than it was."""
        pods = self.kube.core.list_namespaced_pod(
            self.namespace, label_selector=f"{GROUP_LABEL}={self.group}"
        ).items
        now = time.monotonic() - self.started
        listed = {str(pod.metadata.name): pod for pod in pods}
        for name in sorted(self.pods - set(self.seen)):
            pod = listed.get(name)
            if pod is None:
                self.seen[name] = now
                self.why_not[name] = f"pod {name} was removed outright, not evicted"
            elif pod.metadata.deletion_timestamp is not None:
                self.seen[name] = now
                wrong = _evicted_by_controller(pod)
                if wrong is not None:
                    self.why_not[name] = wrong

    def evicted(self, name: str) -> bool:
        self.look()
        return name in self.seen


@contextlib.contextmanager
def _own_nodes(kube: Kube, run_id: str, *names: str) -> Iterator[None]:
    made = []
    try:
        for name in names:
            kube.core.create_node(_node(name, run_id))
            made.append(name)
        yield
    finally:
        for name in made:
            with contextlib.suppress(client.ApiException):
                kube.core.delete_node(name)


def _force_delete(kube: Kube, namespace: str, group: str) -> None:
    """No kubelet will ever confirm these pods' deletion: delete them at once."""
    for pod in kube.core.list_namespaced_pod(
        namespace, label_selector=f"{GROUP_LABEL}={group}"
    ).items:
        with contextlib.suppress(client.ApiException):
            kube.core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)


@standard_base(
    id="node/taint-eviction",
    conformance=[
        f"{SIG} NoExecuteTaintManager Multiple Pods evicts pods with minTolerationSeconds "
        "[Conformance] [Disruptive] [Serial]",
        f"{SIG} NoExecuteTaintManager Single Pod removing taint cancels eviction "
        "[Conformance] [Disruptive] [Serial]",
    ],
    needs=["cluster-admin"],
    timeout=30,
)
def test_taint_eviction(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """On Node objects of the test's own, a NoExecute taint makes the taint-eviction
    controller evict at once a pod that does not tolerate it, a pod that tolerates it for 4 s
    after those 4 s and not before, and never a pod that tolerates it for ever; when the taint
    is removed from a node before its pod's 8 s toleration ends, that pod is not evicted. Each
    eviction carries the controller's DisruptionTarget condition."""
    group = b.unique("taints")
    evict_node, cancel_node = b.unique("kv-taint-evict"), b.unique("kv-taint-cancel")
    pods = {
        "no-toleration": _pod("no-toleration", group, evict_node, None, tolerates=False),
        "tolerates-briefly": _pod("tolerates-briefly", group, evict_node, EVICT_AFTER_S, True),
        "tolerates-forever": _pod("tolerates-forever", group, evict_node, None, tolerates=True),
        "cancel-witness": _pod("cancel-witness", group, cancel_node, None, tolerates=False),
        "cancelled": _pod("cancelled", group, cancel_node, CANCEL_WITHIN_S, tolerates=True),
    }
    with _own_nodes(kube, run_id, evict_node, cancel_node):
        try:
            for manifest in pods.values():
                kube.core.create_namespaced_pod(kv_namespace, manifest)
            watch = Watch(kube, kv_namespace, group, frozenset(pods), time.monotonic())
            _set_taint(kube, evict_node, present=True)
            _set_taint(kube, cancel_node, present=True)
            _judge(kube, watch, cancel_node)
        finally:
            _force_delete(kube, kv_namespace, group)


def _judge(kube: Kube, watch: Watch, cancel_node: str) -> None:
    """Remove the taint from ``cancel_node`` once the controller has acted on it, watch until
    every toleration in play has ended, and judge what was evicted when."""
    wait_for(
        f"the pod that tolerates nothing on {cancel_node} to be evicted at once",
        lambda: watch.evicted("cancel-witness"),
        AT_ONCE_S,
    )
    assert "cancelled" not in watch.seen, (
        f"the pod tolerating the taint for {CANCEL_WITHIN_S}s was evicted after "
        f"{watch.seen['cancelled']:.1f}s"
    )
    _set_taint(kube, cancel_node, present=False)
    removed = time.monotonic() - watch.started
    assert removed < CANCEL_WITHIN_S, f"the taint was removed only after {removed:.1f}s"
    end = CANCEL_WITHIN_S + QUIET_S

    def done() -> bool:
        watch.look()
        return time.monotonic() - watch.started >= end and "tolerates-briefly" in watch.seen

    wait_for(
        f"the pod tolerating the taint for {EVICT_AFTER_S}s to be evicted, and the pod whose "
        f"taint was removed to outlive its {CANCEL_WITHIN_S}s",
        done,
        end + 5,
    )
    seen = watch.seen
    assert not watch.why_not, "; ".join(watch.why_not.values())
    first = seen.get("no-toleration")
    assert first is not None and first <= AT_ONCE_S, (
        f"the pod that tolerates nothing was evicted after {first}s, not within {AT_ONCE_S}s"
    )
    brief = seen["tolerates-briefly"]
    assert brief >= EVICT_AFTER_S - EARLY_SLACK_S, (
        f"the pod tolerating the taint for {EVICT_AFTER_S}s was evicted after {brief:.1f}s"
    )
    assert "tolerates-forever" not in seen, (
        f"the pod tolerating the taint for ever was evicted after {seen['tolerates-forever']:.1f}s"
    )
    assert "cancelled" not in seen, (
        f"the pod whose node lost the taint after {removed:.1f}s was still evicted, after "
        f"{seen['cancelled']:.1f}s (its toleration: {CANCEL_WITHIN_S}s)"
    )
