"""ReplicationControllers, the oldest workload controller kube-controller-manager still runs:
adoption and release of pods by label, the scale subresource, and the ReplicaFailure condition a
pod quota makes it report.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-apps] ReplicationController"


def _rc(name: str, replicas: int) -> dict[str, Any]:
    labels = {"name": name}
    return {
        "metadata": b.metadata(name, labels),
        "spec": {"replicas": replicas, "selector": labels, "template": b.template(labels)},
    }


def _owner_uid(kube: Kube, namespace: str, pod: str) -> str | None:
    refs = kube.core.read_namespaced_pod(pod, namespace).metadata.owner_references or []
    controllers = [r.uid for r in refs if r.controller]
    return controllers[0] if controllers else None


def _ready_replicas(kube: Kube, namespace: str, name: str, replicas: int) -> None:
    def probe() -> bool:
        status = kube.core.read_namespaced_replication_controller(name, namespace).status
        got = (status.replicas or 0, status.ready_replicas or 0)
        assert got == (replicas, replicas), f"replicas and ready replicas are {got}"
        return True

    wait_for(f"ReplicationController {name} to have {replicas} ready replicas", probe, 20)


@standard_base(
    id="apps/rc-adopt-release",
    conformance=[
        f"{SIG} should adopt matching pods on creation [Conformance]",
        f"{SIG} should release no longer matching pods [Conformance]",
    ],
    needs=["nodes"],
    timeout=30,
)
def test_rc_adopt_release(kube: Kube, kv_namespace: str) -> None:
    """A ReplicationController adopts an orphan pod its selector matches, and releases (drops its
    owner reference from) a pod whose label stops matching.
    """
    core = kube.core
    core.create_namespaced_pod(kv_namespace, b.pod("pod-adoption", {"name": "pod-adoption"}))
    rc = core.create_namespaced_replication_controller(kv_namespace, _rc("pod-adoption", 1))
    wait_for(
        "the ReplicationController to adopt the orphan pod",
        lambda: _owner_uid(kube, kv_namespace, "pod-adoption") == rc.metadata.uid,
        15,
    )
    _ready_replicas(kube, kv_namespace, "pod-adoption", 1)
    core.patch_namespaced_pod(
        "pod-adoption", kv_namespace, {"metadata": {"labels": {"name": "not-matching-name"}}}
    )
    wait_for(
        "the ReplicationController to release the pod that no longer matches",
        lambda: _owner_uid(kube, kv_namespace, "pod-adoption") is None,
        15,
    )


@standard_base(
    id="apps/rc-scale",
    conformance=[f"{SIG} should get and update a ReplicationController scale [Conformance]"],
    needs=["nodes"],
    timeout=30,
)
def test_rc_scale(kube: Kube, kv_namespace: str) -> None:
    """A ReplicationController's scale subresource reports its replicas, and an update of it
    brings the controller to the new count.
    """
    core = kube.core
    core.create_namespaced_replication_controller(kv_namespace, _rc("e2e-rc", 1))
    _ready_replicas(kube, kv_namespace, "e2e-rc", 1)
    scale = core.read_namespaced_replication_controller_scale("e2e-rc", kv_namespace)
    assert scale.status.replicas == 1, f"the scale reports {scale.status.replicas} replicas"

    def update() -> Any:
        current = core.read_namespaced_replication_controller_scale("e2e-rc", kv_namespace)
        current.spec.replicas = 2
        return core.replace_namespaced_replication_controller_scale("e2e-rc", kv_namespace, current)

    retry_on_conflict(update)
    _ready_replicas(kube, kv_namespace, "e2e-rc", 2)


def _failure(kube: Kube, namespace: str, name: str) -> Any:
    status = kube.core.read_namespaced_replication_controller(name, namespace).status
    return next((c for c in status.conditions or [] if c.type == "ReplicaFailure"), None)


@standard_base(
    id="apps/rc-quota-condition",
    conformance=[
        f"{SIG} should surface a failure condition on a common issue like exceeded "
        "quota [Conformance]"
    ],
    timeout=45,
)
def test_rc_quota_condition(kube: Kube, kv_namespace: str) -> None:
    """A ReplicationController asking for more pods than the namespace's quota allows reports a
    ReplicaFailure condition, and drops it once scaled within the quota.
    """
    core = kube.core
    core.create_namespaced_resource_quota(
        kv_namespace, {"metadata": {"name": "condition-test"}, "spec": {"hard": {"pods": "2"}}}
    )

    def quota_synced() -> bool:
        hard = core.read_namespaced_resource_quota("condition-test", kv_namespace).status.hard
        return bool(hard and hard.get("pods") == "2")

    # The quota controller's first sync of a new quota waits its turn in a queue every
    # namespace shares: on a loaded machine 15 s were seen to run out (upstream allows a minute).
    wait_for("the pod quota to be synced", quota_synced, 30)
    core.create_namespaced_replication_controller(kv_namespace, _rc("condition-test", 3))
    wait_for(
        "the ReplicationController to report ReplicaFailure",
        lambda: _failure(kube, kv_namespace, "condition-test"),
        15,
    )

    def scale_down() -> Any:
        current = core.read_namespaced_replication_controller("condition-test", kv_namespace)
        current.spec.replicas = 2
        return core.replace_namespaced_replication_controller(
            "condition-test", kv_namespace, current
        )

    retry_on_conflict(scale_down)
    wait_for(
        "the ReplicaFailure condition to clear once within the quota",
        lambda: _failure(kube, kv_namespace, "condition-test") is None,
        15,
    )
