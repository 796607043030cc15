"""What admission and the API decide about pods before any node sees them: the QoS class a
pod's requests and limits give it, and PriorityClasses, whose value cannot change once set.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube, refused
from conformance.standard_base.marker import standard_base

GUARANTEED = {"cpu": "100m", "memory": "100Mi"}


@standard_base(
    id="node/pod-qos-class",
    conformance=[
        "[sig-node] Pods Extended Pods Set QOS Class should be set on Pods with "
        "matching resource requests and limits for memory and cpu [Conformance]"
    ],
    timeout=15,
)
def test_pod_qos_class(kube: Kube, kv_namespace: str) -> None:
    """A pod whose requests equal its limits is Guaranteed, one with requests below its limits
    Burstable, one with neither BestEffort: the API server sets the QoS class at creation.
    """
    cases = {
        "guaranteed": ({"requests": GUARANTEED, "limits": GUARANTEED}, "Guaranteed"),
        "burstable": ({"requests": {"cpu": "10m"}, "limits": GUARANTEED}, "Burstable"),
        "besteffort": ({}, "BestEffort"),
    }
    for name, (resources, expected) in cases.items():
        container = b.container(resources=resources)
        if not resources:
            container.pop("resources")
        kube.core.create_namespaced_pod(kv_namespace, b.pod(f"pod-qos-{name}", None, container))
        got = kube.core.read_namespaced_pod(f"pod-qos-{name}", kv_namespace).status.qos_class
        assert got == expected, f"a {name} pod has QoS class {got}, not {expected}"


@standard_base(
    id="scheduling/priorityclass-api",
    conformance=[
        "[sig-scheduling] SchedulerPreemption PriorityClass endpoints verify "
        "PriorityClass endpoints can be operated with different HTTP methods "
        "[Conformance] [Serial]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_priorityclass_api(kube: Kube, run_id: str) -> None:
    """PriorityClasses refuse a change of their value by patch and by update, take a new
    description both ways (a larger resourceVersion), and are listed.
    """
    api = client.SchedulingV1Api(kube.api_client)
    made = [
        api.create_priority_class(
            {
                "metadata": b.metadata(b.unique(f"p{index}"), b.run_labels(run_id)),
                "value": index + 1,
                "description": "kubeadm-verify",
            }
        )
        for index in range(3)
    ]
    try:
        first = made[0]
        patch_value = refused(
            "a patch of a PriorityClass's value",
            lambda: api.patch_priority_class(first.metadata.name, {"value": first.value * 10}),
        )
        assert patch_value.status == 422, f"a patched value: expected 422, got {patch_value.status}"
        current = api.read_priority_class(first.metadata.name)
        current.value = first.value * 10
        update_value = refused(
            "an update of a PriorityClass's value",
            lambda: api.replace_priority_class(first.metadata.name, current),
        )
        assert update_value.status == 422, (
            f"an updated value: expected 422, got {update_value.status}"
        )
        api.patch_priority_class(made[1].metadata.name, {"description": "patched"})

        def describe(pc: Any) -> Any:
            def attempt() -> Any:
                live = api.read_priority_class(pc.metadata.name)
                live.description = "patched"
                return api.replace_priority_class(pc.metadata.name, live)

            return retry_on_conflict(attempt)

        for pc in (made[0], made[2]):
            describe(pc)
        listed = {p.metadata.name for p in api.list_priority_class().items}
        assert {p.metadata.name for p in made} <= listed, "the PriorityClasses are not listed"
        for pc in made:
            live = api.read_priority_class(pc.metadata.name)
            assert (live.value, live.description) == (pc.value, "patched"), (
                f"{pc.metadata.name}: value {live.value}, description {live.description!r}"
            )
            assert int(live.metadata.resource_version) > int(pc.metadata.resource_version), (
                f"{pc.metadata.name} has no larger resource version after its change"
            )
    finally:
        for pc in made:
            api.delete_priority_class(pc.metadata.name)
