"""The API objects every cluster serves without a controller behind them: PodTemplates, Leases,
Events (core and events.k8s.io), LimitRanges and RuntimeClasses, each through the operations
upstream's conformance specs put it through, and the admission that RuntimeClasses drive.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import ClusterResource, Exercise, rv
from conformance.standard_base.kube import Kube, gone, refused, server_said, wait_for
from conformance.standard_base.marker import standard_base

NODE = "[sig-node]"
EVENTS = "[sig-instrumentation]"
SCHEDULING = "[sig-scheduling]"
EVENT_TIME = "2017-09-19T13:49:16.000000Z"  # upstream's fixed time.Unix(1505828956, 0)


def _json(response: Any) -> dict[str, Any]:
    """The JSON a typed call made with ``_preload_content=False`` answered, as the server sent it
    (the typed models turn times into datetimes and would not compare with what was sent)."""
    result: dict[str, Any] = json.loads(response.data)
    return result


def _names(items: list[Any]) -> list[str]:
    return sorted(i.metadata.name for i in items)


@standard_base(
    id="node/podtemplate-api",
    conformance=[
        f"{NODE} PodTemplates should run the lifecycle of PodTemplates [Conformance]",
        f"{NODE} PodTemplates should replace a pod template [Conformance]",
        f"{NODE} PodTemplates should delete a collection of pod templates [Conformance]",
    ],
    timeout=15,
)
def test_podtemplate_api(kube: Kube, kv_namespace: str) -> None:
    """PodTemplates are created, read, patched (a larger resourceVersion), replaced, listed by
    label across namespaces, deleted one by one and by collection.
    """
    core, tag = kube.core, secrets.token_hex(4)
    selector = f"podtemplate-static={tag}"

    def template(name: str, **labels: str) -> dict[str, Any]:
        return {
            "metadata": b.metadata(name, {"podtemplate-static": tag, **labels}),
            "template": b.template({"app": "podtemplate"}),
        }

    created = core.create_namespaced_pod_template(kv_namespace, template("nginx-pod-template"))
    read = core.read_namespaced_pod_template("nginx-pod-template", kv_namespace)
    assert read.metadata.uid == created.metadata.uid, "get returned another PodTemplate"
    patched = core.patch_namespaced_pod_template(
        "nginx-pod-template", kv_namespace, {"metadata": {"labels": {"podtemplate": "patched"}}}
    )
    assert int(patched.metadata.resource_version) > int(read.metadata.resource_version), (
        "the patched PodTemplate has no larger resource version"
    )
    read = core.read_namespaced_pod_template("nginx-pod-template", kv_namespace)
    assert (read.metadata.labels or {}).get("podtemplate") == "patched", (
        "the patched label is not on the PodTemplate"
    )
    read.metadata.annotations = {"updated": "true"}
    replaced = core.replace_namespaced_pod_template("nginx-pod-template", kv_namespace, read)
    assert (replaced.metadata.annotations or {}).get("updated") == "true", (
        "the replaced PodTemplate lacks the annotation of the replacement"
    )
    listed = core.list_pod_template_for_all_namespaces(label_selector=selector).items
    assert _names(listed) == ["nginx-pod-template"], (
        f"the list across namespaces holds {_names(listed)}"
    )
    core.delete_namespaced_pod_template("nginx-pod-template", kv_namespace)
    assert gone(lambda: core.read_namespaced_pod_template("nginx-pod-template", kv_namespace)), (
        "the deleted PodTemplate can still be read"
    )
    for index in range(3):
        core.create_namespaced_pod_template(
            kv_namespace, template(f"podtemplate-{index}", **{"podtemplate-set": "true"})
        )
    in_set = f"{selector},podtemplate-set=true"
    listed = core.list_namespaced_pod_template(kv_namespace, label_selector=in_set).items
    assert len(listed) == 3, f"the set of PodTemplates lists {len(listed)}, not 3"
    core.delete_collection_namespaced_pod_template(kv_namespace, label_selector=in_set)
    wait_for(
        "the collection of PodTemplates to be deleted",
        lambda: not (core.list_namespaced_pod_template(kv_namespace, label_selector=in_set).items),
        10,
    )


def _lease_spec(
    holder: str, duration: int, acquired: str, renewed: str, transitions: int
) -> dict[str, Any]:
    return {
        "holderIdentity": holder,
        "leaseDurationSeconds": duration,
        "acquireTime": acquired,
        "renewTime": renewed,
        "leaseTransitions": transitions,
    }


@standard_base(
    id="node/lease-api",
    conformance=[f"{NODE} Lease lease API should be available [Conformance]"],
    timeout=15,
)
def test_lease_api(kube: Kube, kv_namespace: str) -> None:
    """coordination.k8s.io Leases keep exactly the holder, times and transitions they are given
    through create, update and patch; they are listed, deleted one by one and by collection.
    """
    leases = ("coordination.k8s.io", "v1", kv_namespace, "leases")
    api = kube.custom
    first = _lease_spec(
        "holder", 30, "0001-01-01T00:00:02.000000Z", "0001-01-01T00:00:05.000000Z", 0
    )
    created = api.create_namespaced_custom_object(
        *leases,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "lease"},
            "spec": first,
        },
    )
    rv(created)
    read = api.get_namespaced_custom_object(*leases, "lease")
    assert read["spec"] == first, "the Lease read back differs from the one created"
    second = _lease_spec(
        "holder2", 30, "0001-01-01T00:00:20.000000Z", "0001-01-01T00:00:50.000000Z", 1
    )
    api.replace_namespaced_custom_object(*leases, "lease", {**created, "spec": second})
    read = api.get_namespaced_custom_object(*leases, "lease")
    assert read["spec"] == second, "the updated Lease reads back differently"
    third = _lease_spec(
        "holder3", 60, "0001-01-01T00:00:50.000000Z", "0001-01-01T00:01:10.000000Z", 2
    )
    api.patch_namespaced_custom_object(*leases, "lease", {"spec": third})
    read = api.get_namespaced_custom_object(*leases, "lease")
    assert read["spec"] == third, "the patched Lease reads back differently"
    assert rv(read) > rv(created), "the patched Lease has no larger resource version"
    api.create_namespaced_custom_object(
        *leases,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "lease2", "labels": {"deletecollection": "true"}},
            "spec": first,
        },
    )
    assert len(api.list_namespaced_custom_object(*leases)["items"]) == 2, (
        "the namespace does not list 2 Leases"
    )
    api.delete_collection_namespaced_custom_object(*leases, label_selector="deletecollection=true")
    names = [i["metadata"]["name"] for i in api.list_namespaced_custom_object(*leases)["items"]]
    assert names == ["lease"], "deletecollection did not delete exactly the labelled Lease"
    api.delete_namespaced_custom_object(*leases, "lease")
    assert gone(lambda: api.get_namespaced_custom_object(*leases, "lease")), (
        "the deleted Lease can still be read"
    )
    api.list_cluster_custom_object("coordination.k8s.io", "v1", "leases", limit=1)


def _core_event(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": b.metadata(name, labels),
        "message": f"This is {name}",
        "reason": "Test",
        "type": "Normal",
        "count": 1,
        "involvedObject": {"namespace": namespace},
    }


@standard_base(
    id="api-machinery/core-event-api",
    conformance=[
        f"{EVENTS} Events should manage the lifecycle of an event [Conformance]",
        f"{EVENTS} Events should delete a collection of events [Conformance]",
    ],
    timeout=15,
)
def test_core_event_api(kube: Kube, kv_namespace: str) -> None:
    """Core v1 Events are created, found across namespaces by label, patched, updated with a
    series (read back exactly), deleted one by one and by collection.
    """
    core, tag = kube.core, secrets.token_hex(4)
    constant = f"testevent-constant={tag}"
    core.create_namespaced_event(
        kv_namespace, _core_event("event-test", kv_namespace, {"testevent-constant": tag})
    )
    everywhere = core.list_event_for_all_namespaces(label_selector=constant).items
    assert [(e.metadata.namespace, e.metadata.name) for e in everywhere] == [
        (kv_namespace, "event-test")
    ], "the event is not listed across namespaces"
    core.patch_namespaced_event(
        "event-test", kv_namespace, {"message": "This is a test event - patched"}
    )
    body = _json(core.read_namespaced_event("event-test", kv_namespace, _preload_content=False))
    assert body["message"] == "This is a test event - patched", "the patched message is not there"
    body["series"] = {"count": 100, "lastObservedTime": EVENT_TIME}
    body = _without_version(body)
    # A raw PUT: the typed client re-serialises MicroTime strings as datetimes without the
    # microseconds the API insists on, so the server would refuse the body it sent.
    put = kube.raw(
        "PUT",
        f"/api/v1/namespaces/{kv_namespace}/events/event-test",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert put.status == 200, f"the update of the event: HTTP {put.status}: {server_said(put.body)}"
    read = _json(core.read_namespaced_event("event-test", kv_namespace, _preload_content=False))
    assert _without_version(read) == body, "the updated event reads back differently"
    core.delete_namespaced_event("event-test", kv_namespace)
    assert not core.list_event_for_all_namespaces(label_selector=constant).items, (
        "the deleted event is still listed"
    )
    in_set = f"testevent-set={tag}"
    for index in (1, 2, 3):
        core.create_namespaced_event(
            kv_namespace, _core_event(f"test-event-{index}", kv_namespace, {"testevent-set": tag})
        )
    listed = core.list_namespaced_event(kv_namespace, label_selector=in_set).items
    assert len(listed) == 3, f"the set of events lists {len(listed)}, not 3"
    core.delete_collection_namespaced_event(kv_namespace, label_selector=in_set)
    wait_for(
        "the collection of events to be deleted",
        lambda: not (core.list_namespaced_event(kv_namespace, label_selector=in_set).items),
        10,
    )


def _new_event(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": b.metadata(name, labels),
        "regarding": {"namespace": namespace},
        "eventTime": EVENT_TIME,
        "note": f"This is {name}",
        "action": "Do",
        "reason": "Test",
        "type": "Normal",
        "reportingController": "test-controller",
        "reportingInstance": "test-node",
    }


def _without_version(event: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v for k, v in event["metadata"].items() if k not in ("resourceVersion", "managedFields")
    }
    return {**event, "metadata": meta}


@standard_base(
    id="api-machinery/events-api",
    conformance=[
        f"{EVENTS} Events API should ensure that an event can be fetched, patched, deleted, and "
        "listed [Conformance]",
        f"{EVENTS} Events API should delete a collection of events [Conformance]",
    ],
    timeout=15,
)
def test_events_api(kube: Kube, kv_namespace: str) -> None:
    """events.k8s.io/v1 Events are listed in both APIs with field selectors (source,
    reportingController), patched and updated exactly, deleted one by one and by collection.
    """
    api, core, tag = kube.custom, kube.core, secrets.token_hex(4)
    events = ("events.k8s.io", "v1", kv_namespace, "events")
    constant = f"testevent-constant={tag}"

    def names(listed: dict[str, Any]) -> list[str]:
        return sorted(i["metadata"]["name"] for i in listed["items"])

    created = api.create_namespaced_custom_object(
        *events, _new_event("event-test", kv_namespace, {"testevent-constant": tag})
    )
    rv(created)
    for where, listed in (
        (
            "across namespaces",
            api.list_cluster_custom_object(
                "events.k8s.io", "v1", "events", label_selector=constant
            ),
        ),
        ("in the namespace", api.list_namespaced_custom_object(*events, label_selector=constant)),
    ):
        assert names(listed) == ["event-test"], f"the event is not listed {where}"
    by_source = core.list_namespaced_event(kv_namespace, field_selector="source=test-controller")
    assert _names(by_source.items) == ["event-test"], (
        "the core API does not select the event by source"
    )
    by_controller = api.list_namespaced_custom_object(
        *events, field_selector="reportingController=test-controller"
    )
    assert names(by_controller) == ["event-test"], (
        "events.k8s.io does not select the event by reportingController"
    )
    before = api.get_namespaced_custom_object(*events, "event-test")
    series = {"count": 2, "lastObservedTime": "2017-09-19T13:49:11.000000Z"}
    api.patch_namespaced_custom_object(*events, "event-test", {"series": series})
    after = api.get_namespaced_custom_object(*events, "event-test")
    assert rv(after) > rv(before), "the patched event has no larger resource version"
    assert _without_version(after) == _without_version({**before, "series": series}), (
        "the patched event differs from the original beyond its series"
    )
    update = {**after, "series": {"count": 100, "lastObservedTime": EVENT_TIME}}
    api.replace_namespaced_custom_object(*events, "event-test", update)
    read = api.get_namespaced_custom_object(*events, "event-test")
    assert _without_version(read) == _without_version(update), (
        "the updated event reads back differently"
    )
    api.delete_namespaced_custom_object(*events, "event-test")
    assert not api.list_cluster_custom_object(
        "events.k8s.io", "v1", "events", label_selector=constant
    )["items"], "the deleted event is still listed"
    in_set = f"testevent-set={tag}"
    for index in (1, 2, 3):
        api.create_namespaced_custom_object(
            *events, _new_event(f"test-event-{index}", kv_namespace, {"testevent-set": tag})
        )
    assert len(names(api.list_namespaced_custom_object(*events, label_selector=in_set))) == 3, (
        "the set of events does not list 3"
    )
    api.delete_collection_namespaced_custom_object(*events, label_selector=in_set)
    assert not api.list_namespaced_custom_object(*events, label_selector=in_set)["items"], (
        "deletecollection left events behind"
    )


def _limits(cpu: str, memory: str, storage: str) -> dict[str, str]:
    return {"cpu": cpu, "memory": memory, "ephemeral-storage": storage}


@standard_base(
    id="scheduling/limitrange-collection",
    conformance=[
        f"{SCHEDULING} LimitRange should list, patch and delete a LimitRange by collection "
        "[Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_limitrange_collection(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """LimitRanges are listed by label across namespaces, strategic-merge patched (a larger
    resourceVersion), and deleted by collection in one namespace only.
    """
    core, name = kube.core, b.unique("e2e-limitrange")
    body = {
        "metadata": b.metadata(name, {"e2e-test": name, name: "created"}),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "min": _limits("50m", "100Mi", "100Gi"),
                    "max": _limits("500m", "500Mi", "500Gi"),
                    "default": _limits("500m", "500Mi", "500Gi"),
                    "defaultRequest": _limits("100m", "200Mi", "200Gi"),
                }
            ]
        },
    }
    created = _json(core.create_namespaced_limit_range(kv_namespace, body, _preload_content=False))
    other = b.unique("limitrange-other")
    core.create_namespace({"metadata": b.metadata(other, b.run_labels(run_id))})
    try:
        core.create_namespaced_limit_range(other, body)
        everywhere = core.list_limit_range_for_all_namespaces(label_selector=f"e2e-test={name}")
        assert len(everywhere.items) == 2, f"{len(everywhere.items)} LimitRanges listed, not 2"
        limits = created["spec"]["limits"]
        limits[0]["min"] = _limits("9m", "49Mi", "49Gi")
        patched = core.patch_namespaced_limit_range(
            name,
            kv_namespace,
            {"metadata": {"labels": {name: "patched"}}, "spec": {"limits": limits}},
        )
        assert (patched.metadata.labels or {}).get(name) == "patched", "the patch lost its label"
        assert patched.spec.limits[0].min == _limits("9m", "49Mi", "49Gi"), (
            "the patched minimum is not the LimitRange's"
        )
        assert int(patched.metadata.resource_version) > rv(created), (
            "the patched LimitRange has no larger resource version"
        )
        core.delete_collection_namespaced_limit_range(
            kv_namespace, label_selector=f"{name}=patched"
        )
        wait_for(
            "the patched LimitRange to be deleted",
            lambda: (
                not (
                    core.list_limit_range_for_all_namespaces(label_selector=f"{name}=patched").items
                )
            ),
            10,
        )
        left = core.list_limit_range_for_all_namespaces(label_selector=f"e2e-test={name}").items
        assert [i.metadata.namespace for i in left] == [other], (
            "deletecollection in one namespace did not leave the other's LimitRange alone"
        )
    finally:
        core.delete_namespace(other)


RUNTIME_CLASSES = ClusterResource("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", ())


def _runtime_class(name: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": b.metadata(name, labels),
        "handler": "kv-handler",
        **extra,
    }


@standard_base(
    id="node/runtimeclass-api",
    conformance=[f"{NODE} RuntimeClass should support RuntimeClasses API operations [Conformance]"],
    needs=["cluster-admin"],
    timeout=15,
)
def test_runtimeclass_api(kube: Kube, run_id: str) -> None:
    """node.k8s.io RuntimeClasses are discovered and support every operation; a second create
    under a taken name is refused (409).
    """
    tag = secrets.token_hex(4)
    labels = b.run_labels(run_id, **{"kubeadm-verify.io/api-ops": tag})
    template = {
        **_runtime_class("", labels),
        "metadata": {"generateName": "conformance-runtime-class-", "labels": labels},
    }
    taken = kube.custom.create_cluster_custom_object(
        "node.k8s.io", "v1", "runtimeclasses", _runtime_class(b.unique("runtime-class"), labels)
    )
    try:
        again = refused(
            "a second RuntimeClass under a taken name",
            lambda: kube.custom.create_cluster_custom_object(
                "node.k8s.io",
                "v1",
                "runtimeclasses",
                _runtime_class(taken["metadata"]["name"], labels),
            ),
        )
        assert again.status == 409, f"a taken name: expected 409, got {again.status}"
    finally:
        kube.custom.delete_cluster_custom_object(
            "node.k8s.io", "v1", "runtimeclasses", taken["metadata"]["name"]
        )
    Exercise(kube, RUNTIME_CLASSES, template, f"kubeadm-verify.io/api-ops={tag}").run()


def _dry_run_pod(kube: Kube, namespace: str, runtime_class: str) -> client.ApiException:
    pod = b.pod("runtimeclass-pod", None, runtimeClassName=runtime_class)
    return refused(
        f"a pod asking for RuntimeClass {runtime_class}",
        lambda: kube.core.create_namespaced_pod(namespace, pod, dry_run="All"),
    )


@standard_base(
    id="node/runtimeclass-admission",
    conformance=[
        f"{NODE} RuntimeClass should reject a Pod requesting a non-existent RuntimeClass "
        "[Conformance] [NodeConformance]",
        f"{NODE} RuntimeClass should reject a Pod requesting a deleted RuntimeClass "
        "[Conformance] [NodeConformance]",
        f"{NODE} RuntimeClass should schedule a Pod requesting a RuntimeClass and initialize "
        "its Overhead [Conformance] [NodeConformance]",
    ],
    needs=["nodes", "cluster-admin"],
    timeout=30,
)
def test_runtimeclass_admission(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """Admission refuses (403) a pod naming a RuntimeClass that does not exist or was deleted,
    and gives a pod of an existing one that class's overhead; the pod is scheduled.
    """
    missing = _dry_run_pod(kube, kv_namespace, f"{kv_namespace}-nonexistent")
    assert missing.status == 403, (
        f"a missing RuntimeClass: expected 403, got {missing.status}: {server_said(missing.body)}"
    )
    api = client.NodeV1Api(kube.api_client)
    labels = b.run_labels(run_id)
    doomed = api.create_runtime_class(_runtime_class(b.unique("delete-me"), labels))
    api.delete_runtime_class(doomed.metadata.name)
    wait_for(
        "the deleted RuntimeClass to disappear",
        lambda: gone(lambda: api.read_runtime_class(doomed.metadata.name)),
        10,
    )

    def deleted_refused() -> bool:
        error = _dry_run_pod(kube, kv_namespace, doomed.metadata.name)
        assert error.status == 403, f"a deleted RuntimeClass: HTTP {error.status}"
        return True

    wait_for("a pod of the deleted RuntimeClass to be refused", deleted_refused, 10)
    overhead = {"podFixed": {"cpu": "10m", "memory": "1Mi"}}
    kept = api.create_runtime_class(
        _runtime_class(b.unique("preconfigured-handler"), labels, overhead=overhead)
    )
    try:
        pod = kube.core.create_namespaced_pod(
            kv_namespace, b.pod("runtimeclass-overhead", None, runtimeClassName=kept.metadata.name)
        )
        assert pod.spec.overhead == {"cpu": "10m", "memory": "1Mi"}, (
            f"the pod's overhead is {pod.spec.overhead}, not the RuntimeClass's"
        )

        def scheduled() -> bool:
            read = kube.core.read_namespaced_pod("runtimeclass-overhead", kv_namespace)
            return bool(read.spec.node_name)

        wait_for("the pod with a RuntimeClass to be scheduled", scheduled, 10)
    finally:
        api.delete_runtime_class(kept.metadata.name)
