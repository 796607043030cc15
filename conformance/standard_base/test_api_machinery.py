"""api-machinery: discovery, OpenAPI, CRUD and watch, apply, validation, CRDs, GC, namespaces,
quota, API priority and fairness.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import ClusterResource, Exercise
from conformance.standard_base.kube import Kube, gone, refused, server_said, wait_for
from conformance.standard_base.marker import standard_base

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
SIG = "[sig-api-machinery]"

# Upstream's fixed lists (test/e2e/apimachinery/discovery.go, aggregated_discovery.go).
EXPECTED_RESOURCES = [
    ("", "v1", "namespaces"),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "v1", "apiservices"),
    ("apps", "v1", "deployments"),
    ("authentication.k8s.io", "v1", "tokenreviews"),
    ("authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
    ("autoscaling", "v1", "horizontalpodautoscalers"),
    ("autoscaling", "v2", "horizontalpodautoscalers"),
    ("batch", "v1", "jobs"),
    ("certificates.k8s.io", "v1", "certificatesigningrequests"),
    ("coordination.k8s.io", "v1", "leases"),
    ("discovery.k8s.io", "v1", "endpointslices"),
    ("events.k8s.io", "v1", "events"),
    ("networking.k8s.io", "v1", "ingresses"),
    ("node.k8s.io", "v1", "runtimeclasses"),
    ("policy", "v1", "poddisruptionbudgets"),
    ("scheduling.k8s.io", "v1", "priorityclasses"),
    ("storage.k8s.io", "v1", "csinodes"),
]


@standard_base(
    id="api-machinery/server-version",
    conformance=[f"{SIG} server version should find the server version [Conformance]"],
    timeout=15,
)
def test_server_version(kube: Kube) -> None:
    """/version names the server's major, minor and a gitVersion that agrees with them."""
    info = kube.version.get_code()
    assert re.fullmatch(r"[1-9]", info.major), f"major version {info.major!r} is not one digit"
    assert re.fullmatch(r"[0-9]+\+?", info.minor), f"minor version {info.minor!r} is not a number"
    assert info.git_version.startswith(f"v{info.major}.{info.minor.rstrip('+')}."), (
        f"gitVersion {info.git_version} does not agree with {info.major}.{info.minor}"
    )


@standard_base(
    id="api-machinery/discovery",
    conformance=[
        f"{SIG} Discovery should validate PreferredVersion for each APIGroup [Conformance]",
        f"{SIG} Discovery should locate the groupVersion and a resource within each APIGroup "
        "[Conformance]",
        f"{SIG} CustomResourceDefinition resources [Privileged:ClusterAdmin] should include custom "
        "resource definition resources in discovery documents [Conformance]",
    ],
    timeout=30,
)
def test_discovery(kube: Kube) -> None:
    """/apis lists every group with a preferred version it serves, and the core groups list the
    resources every cluster has.
    """
    groups = kube.raw_json("/apis/")["groups"]
    assert groups, "/apis lists no API groups"
    for group in groups:
        if group["name"].endswith(".example.com"):
            continue  # upstream skips its own throwaway groups the same way
        served = kube.raw_json(f"/apis/{group['name']}/")
        versions = [v["groupVersion"] for v in served["versions"]]
        assert versions, f"{group['name']} serves no version"
        preferred = served["preferredVersion"]["groupVersion"]
        assert preferred in versions, f"{group['name']}: preferred {preferred} not in {versions}"
    for group_name, version, resource in EXPECTED_RESOURCES:
        path = f"/api/{version}" if not group_name else f"/apis/{group_name}/{version}"
        listing = kube.raw_json(path)
        expected_gv = f"{group_name}/{version}" if group_name else version
        assert listing["groupVersion"] == expected_gv, f"{path} says {listing['groupVersion']}"
        names = {r["name"] for r in listing["resources"]}
        assert resource in names, f"{path} does not list {resource}"
    extension_group = kube.raw_json("/apis/apiextensions.k8s.io")
    assert extension_group["name"] == "apiextensions.k8s.io", (
        "the first group of aggregated discovery is not apiextensions.k8s.io"
    )
    assert "v1" in [v["version"] for v in extension_group["versions"]], (
        "aggregated discovery lists no v1 of apiextensions.k8s.io"
    )


def _aggregated_has(document: dict[str, Any], group: str, version: str, resource: str) -> bool:
    for item in document.get("items", []):
        if item["metadata"].get("name", "") != group:
            continue
        for served in item.get("versions", []):
            if served["version"] == version and any(
                r["resource"] == resource for r in served.get("resources", [])
            ):
                return True
    return False


@standard_base(
    id="api-machinery/aggregated-discovery",
    conformance=[
        f"{SIG} AggregatedDiscovery should support raw aggregated discovery endpoint Accept "
        "headers [Conformance]"
    ],
    timeout=20,
)
def test_aggregated_discovery(kube: Kube) -> None:
    """Aggregated discovery (APIGroupDiscoveryList) answers for /apis and /api and lists the core
    resources.
    """
    apis = kube.raw_json("/apis", accept=AGGREGATED)
    assert apis.get("kind") == "APIGroupDiscoveryList", f"/apis answered {apis.get('kind')}"
    for group, version, resource in EXPECTED_RESOURCES[1:]:
        assert _aggregated_has(apis, group, version, resource), (
            f"{group}/{version} {resource} is missing from aggregated discovery"
        )
    legacy = kube.raw_json("/api", accept=AGGREGATED)
    assert _aggregated_has(legacy, "", "v1", "namespaces"), "/api lacks v1 namespaces"


@standard_base(id="api-machinery/openapi-v3", timeout=30)
def test_openapi_v3(kube: Kube) -> None:
    """/openapi/v3 indexes the core groups and serves an OpenAPI 3 document with the core schemas
    and paths.
    """
    paths = kube.raw_json("/openapi/v3")["paths"]
    for wanted in ("api/v1", "apis/apps/v1", "apis/apiextensions.k8s.io/v1"):
        assert wanted in paths, f"/openapi/v3 does not list {wanted}"
    document = kube.raw_json("/" + paths["api/v1"]["serverRelativeURL"].lstrip("/"))
    assert document["openapi"].startswith("3."), f"not an OpenAPI 3 document: {document['openapi']}"
    schemas = document["components"]["schemas"]
    config_map = schemas["io.k8s.api.core.v1.ConfigMap"]
    assert {"data", "metadata"} <= set(config_map["properties"]), "ConfigMap schema is incomplete"
    prefix = "/api/v1/namespaces/{namespace}/configmaps"
    assert any(p.startswith(prefix) for p in document["paths"]), (
        "the v1 OpenAPI document has no namespaced configmaps path"
    )


def _config_map(name: str, labels: dict[str, str], **data: str) -> dict[str, Any]:
    return {"metadata": b.metadata(name, labels), "data": data}


@standard_base(
    id="api-machinery/watch-from-resource-version",
    conformance=[
        f"{SIG} Watchers should be able to start watching from a specific resource version "
        "[Conformance]"
    ],
    timeout=30,
)
def test_watch_from_resource_version(kube: Kube, kv_namespace: str) -> None:
    """A watch started from a resourceVersion replays the later changes, in order, with their
    resourceVersions.
    """
    labels = {"watch-this-configmap": "from-resource-version"}
    core = kube.core
    core.create_namespaced_config_map(kv_namespace, _config_map("e2e-watch-rv", labels))
    first = core.patch_namespaced_config_map(
        "e2e-watch-rv", kv_namespace, {"data": {"mutation": "1"}}
    )
    second = core.patch_namespaced_config_map(
        "e2e-watch-rv", kv_namespace, {"data": {"mutation": "2"}}
    )
    core.delete_namespaced_config_map("e2e-watch-rv", kv_namespace)
    with kube.events(
        core.list_namespaced_config_map,
        kv_namespace,
        resource_version=first.metadata.resource_version,
        label_selector="watch-this-configmap=from-resource-version",
        timeout=20,
    ) as watch:
        modified = watch.expect("MODIFIED", "e2e-watch-rv")
        assert modified["object"]["data"] == {"mutation": "2"}, (
            "the MODIFIED event does not carry the second mutation"
        )
        modified_rv = modified["object"]["metadata"]["resourceVersion"]
        assert modified_rv == second.metadata.resource_version, (
            "the MODIFIED event carries another resourceVersion than the update"
        )
        watch.expect("DELETED", "e2e-watch-rv")


@standard_base(
    id="api-machinery/watch-notifications",
    conformance=[
        f"{SIG} Watchers should observe add, update, and delete watch notifications on configmaps "
        "[Conformance]"
    ],
    timeout=45,
)
def test_watch_notifications(kube: Kube, kv_namespace: str) -> None:
    """Watches see the add, update and delete events of the objects their label selectors match,
    and only those.
    """
    core, key = kube.core, "watch-this-configmap"

    def watch(selector: str) -> Any:
        return kube.events(
            core.list_namespaced_config_map, kv_namespace, label_selector=selector, timeout=30
        )

    with (
        watch(f"{key}=multiple-watchers-A") as watch_a,
        watch(f"{key}=multiple-watchers-B") as watch_b,
        watch(f"{key} in (multiple-watchers-A,multiple-watchers-B)") as watch_ab,
    ):
        core.create_namespaced_config_map(
            kv_namespace, _config_map("e2e-watch-a", {key: "multiple-watchers-A"})
        )
        for mutation in ("1", "2"):
            core.patch_namespaced_config_map(
                "e2e-watch-a", kv_namespace, {"data": {"mutation": mutation}}
            )
        core.delete_namespaced_config_map("e2e-watch-a", kv_namespace)
        core.create_namespaced_config_map(
            kv_namespace, _config_map("e2e-watch-b", {key: "multiple-watchers-B"})
        )
        core.delete_namespaced_config_map("e2e-watch-b", kv_namespace)
        for stream in (watch_a, watch_ab):
            stream.expect("ADDED", "e2e-watch-a")
            for mutation in ("1", "2"):
                event = stream.expect("MODIFIED", "e2e-watch-a")
                assert event["object"]["data"] == {"mutation": mutation}, (
                    f"the event does not carry mutation {mutation}"
                )
            stream.expect("DELETED", "e2e-watch-a")
        for stream in (watch_b, watch_ab):
            stream.expect("ADDED", "e2e-watch-b")
            stream.expect("DELETED", "e2e-watch-b")
        watch_a.assert_quiet(1.0)  # watcher A never sees configmap B


@standard_base(id="api-machinery/server-side-apply", timeout=30)
def test_server_side_apply(kube: Kube, kv_namespace: str) -> None:
    """Server-side apply tracks field managers: a conflicting apply is refused (409), a forced one
    takes the field, a dropped field is removed.
    """
    apply = "application/apply-patch+yaml"
    core, name = kube.core, "applied"
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"owner": "first", "shared": "1"},
    }
    created = core.patch_namespaced_config_map(
        name, kv_namespace, body, field_manager="first", _content_type=apply
    )
    assert created.data == {"owner": "first", "shared": "1"}, (
        "the applied ConfigMap does not hold the applied data"
    )
    managers = {m.manager for m in created.metadata.managed_fields or []}
    assert managers == {"first"}, f"managedFields name {managers}, expected only 'first'"
    other = {**body, "data": {"shared": "2"}}
    conflict = refused(
        "a conflicting apply by another manager",
        lambda: core.patch_namespaced_config_map(
            name, kv_namespace, other, field_manager="second", _content_type=apply
        ),
    )
    assert conflict.status == 409, f"a conflicting apply: expected 409, got {conflict.status}"
    forced = core.patch_namespaced_config_map(
        name, kv_namespace, other, field_manager="second", force=True, _content_type=apply
    )
    assert forced.data == {"owner": "first", "shared": "2"}, (
        "a forced apply did not take over the conflicting field"
    )
    managers = {m.manager for m in forced.metadata.managed_fields or []}
    assert managers == {"first", "second"}, f"after a forced apply, managers are {managers}"
    # The first manager drops "owner" from its configuration: apply removes the field it owned.
    pruned = core.patch_namespaced_config_map(
        name, kv_namespace, {**body, "data": {}}, field_manager="first", _content_type=apply
    )
    assert pruned.data == {"shared": "2"}, (
        f"apply did not remove the dropped field: keys {sorted(pruned.data or {})}"
    )


INVALID_DEPLOYMENT = """{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "my-dep", "labels": {"app": "nginx"}},
  "spec": {
    "unknownField": "foo", "replicas": 2, "replicas": 3,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {"metadata": {"labels": {"app": "nginx"}},
                 "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]}}
  }
}"""


@standard_base(
    id="api-machinery/field-validation",
    conformance=[
        f"{SIG} FieldValidation should detect unknown and duplicate fields of a typed object "
        "[Conformance]"
    ],
    timeout=20,
)
def test_field_validation(kube: Kube, kv_namespace: str) -> None:
    """fieldValidation=Strict refuses unknown and duplicate fields (400, naming them); Warn accepts
    and says so in a Warning header.
    """
    path = f"/apis/apps/v1/namespaces/{kv_namespace}/deployments"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    def post(validation: str) -> Any:
        query = [("fieldManager", "field_validation_mgr"), ("fieldValidation", validation)]
        return kube.raw(
            "POST", path, body=INVALID_DEPLOYMENT.encode(), headers=headers, query=query
        )

    strict = post("Strict")
    assert strict.status == 400, f"Strict: expected 400, got {strict.status}"
    expected = (
        'strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"'
    )
    assert expected in strict.json()["message"], (
        f"Strict: the server's reason does not name the field: {server_said(strict.body)}"
    )
    warned = post("Warn")
    assert warned.status == 201, (
        f"Warn: expected 201, got {warned.status}: {server_said(warned.body)}"
    )
    warnings = warned.headers.get("Warning", "")
    assert "unknown field" in warnings and "duplicate field" in warnings, (
        f"Warn: no warning header about the fields, got {warnings!r}"
    )


def _crd(group: str, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}", "labels": b.run_labels(run_id)},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "plural": "widgets",
                "singular": "widget",
                "kind": "Widget",
                "listKind": "WidgetList",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer", "default": 1}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def _established(kube: Kube, name: str) -> bool:
    crd = kube.extensions.read_custom_resource_definition(name)
    conditions = crd.status.conditions or [] if crd.status else []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


@standard_base(
    id="api-machinery/crd-lifecycle",
    conformance=[
        f"{SIG} CustomResourceDefinition resources [Privileged:ClusterAdmin] Simple "
        "CustomResourceDefinition creating/deleting custom resource definition objects works "
        "[Conformance]",
        f"{SIG} AggregatedDiscovery should support raw aggregated discovery request for CRDs "
        "[Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=60,
)
def test_crd_lifecycle(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A CustomResourceDefinition becomes Established, appears in aggregated discovery, serves
    objects with its schema defaults, and goes away.
    """
    group = f"g{secrets.token_hex(4)}.kubeadm-verify.io"
    name = f"widgets.{group}"
    kube.extensions.create_custom_resource_definition(_crd(group, run_id))
    try:
        wait_for(f"CRD {name} to be Established", lambda: _established(kube, name), 30)
        wait_for(
            f"{group}/v1 widgets in aggregated discovery",
            lambda: _aggregated_has(kube.raw_json("/apis", AGGREGATED), group, "v1", "widgets"),
            30,
        )
        widget = {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w1"},
            "spec": {},
        }
        created = wait_for(
            "the new resource to accept objects",
            lambda: _try_create(kube, group, kv_namespace, widget),
            15,
        )
        assert created["spec"] == {"size": 1}, (
            f"the schema default was not applied: spec has {sorted(created['spec'])}"
        )
        listed = kube.custom.list_namespaced_custom_object(group, "v1", kv_namespace, "widgets")
        assert [i["metadata"]["name"] for i in listed["items"]] == ["w1"], (
            "the custom resource list does not hold exactly the object created"
        )
    finally:
        _delete_crd(kube, name)
    wait_for(
        f"CRD {name} to be deleted",
        lambda: gone(lambda: kube.extensions.read_custom_resource_definition(name)),
        30,
    )


def _try_create(kube: Kube, group: str, namespace: str, body: dict[str, Any]) -> Any:
    try:
        return kube.custom.create_namespaced_custom_object(group, "v1", namespace, "widgets", body)
    except client.ApiException as exc:
        if exc.status == 404:  # the new resource is not routed yet
            return None
        raise


def _delete_crd(kube: Kube, name: str) -> None:
    try:
        kube.extensions.delete_custom_resource_definition(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def _counts(kube: Kube, namespace: str) -> dict[str, int]:
    return {
        "deployments": len(kube.apps.list_namespaced_deployment(namespace).items),
        "replicasets": len(kube.apps.list_namespaced_replica_set(namespace).items),
        "pods": len(kube.core.list_namespaced_pod(namespace).items),
    }


def _owner_deployment(kube: Kube, namespace: str) -> tuple[Any, Any]:
    labels = {"gctest": b.unique("gc")}
    created = kube.apps.create_namespaced_deployment(
        namespace, b.deployment("simpletest-deployment", labels, replicas=2)
    )
    replica_set = wait_for(
        "the Deployment to create a ReplicaSet",
        lambda: next(iter(kube.apps.list_namespaced_replica_set(namespace).items), None),
        30,
    )
    return created, replica_set


@standard_base(
    id="api-machinery/gc-background",
    conformance=[
        f"{SIG} Garbage collector should delete RS created by deployment when not orphaning "
        "[Conformance]"
    ],
    timeout=60,
)
def test_gc_background(kube: Kube, kv_namespace: str) -> None:
    """Deleting a Deployment in the background lets the garbage collector delete its ReplicaSet and
    pods.
    """
    deployment, _ = _owner_deployment(kube, kv_namespace)
    kube.apps.delete_namespaced_deployment(
        deployment.metadata.name,
        kv_namespace,
        body={"propagationPolicy": "Background", "preconditions": {"uid": deployment.metadata.uid}},
    )
    empty = {"deployments": 0, "replicasets": 0, "pods": 0}

    def collected() -> bool:
        counts = _counts(kube, kv_namespace)
        assert counts == empty, f"remaining: {counts}"
        return True

    wait_for("the garbage collector to delete the ReplicaSet and its pods", collected, 45)


@standard_base(
    id="api-machinery/gc-orphan",
    conformance=[
        f"{SIG} Garbage collector should orphan RS created by deployment when "
        "deleteOptions.PropagationPolicy is Orphan [Conformance]"
    ],
    timeout=60,
)
def test_gc_orphan(kube: Kube, kv_namespace: str) -> None:
    """Deleting a Deployment with propagationPolicy Orphan keeps its ReplicaSet and pods, without
    an owner.
    """
    deployment, replica_set = _owner_deployment(kube, kv_namespace)

    def replicas_created() -> bool:
        rs = kube.apps.read_namespaced_replica_set(replica_set.metadata.name, kv_namespace)
        observed = (rs.status.observed_generation or 0) >= rs.metadata.generation
        return bool(observed and rs.status.replicas == rs.spec.replicas)

    wait_for("the ReplicaSet to create its pods", replicas_created, 30)
    kube.apps.delete_namespaced_deployment(
        deployment.metadata.name,
        kv_namespace,
        body={"propagationPolicy": "Orphan", "preconditions": {"uid": deployment.metadata.uid}},
    )
    wait_for(
        "the Deployment to be deleted",
        lambda: not kube.apps.list_namespaced_deployment(kv_namespace).items,
        45,
    )
    counts = _counts(kube, kv_namespace)
    assert counts == {"deployments": 0, "replicasets": 1, "pods": 2}, f"remaining: {counts}"
    orphan = kube.apps.read_namespaced_replica_set(replica_set.metadata.name, kv_namespace)
    assert not orphan.metadata.owner_references, "the orphaned ReplicaSet still has an owner"


@standard_base(
    id="api-machinery/gc-foreground",
    conformance=[
        f"{SIG} Garbage collector should keep the rc around until all its pods are deleted if the "
        "deleteOptions says so [Conformance] [Serial]"
    ],
    timeout=60,
)
def test_gc_foreground(kube: Kube, kv_namespace: str) -> None:
    """A foreground deletion keeps the owner (with its deletionTimestamp) until the garbage
    collector has deleted all its pods.
    """
    labels = {"gctest": b.unique("rc")}
    controller = {
        "metadata": b.metadata("simpletest-rc", labels),
        "spec": {"replicas": 10, "selector": labels, "template": b.template(labels)},
    }
    rc = kube.core.create_namespaced_replication_controller(kv_namespace, controller)

    def all_pods() -> bool:
        pods = kube.core.list_namespaced_pod(kv_namespace, label_selector=_selector(labels)).items
        assert len(pods) == 10, f"{len(pods)} of 10 pods exist"
        return True

    wait_for("the ReplicationController to create 10 pods", all_pods, 30)
    since = kube.core.list_namespaced_pod(kv_namespace).metadata.resource_version
    with (
        kube.events(
            kube.core.list_namespaced_pod, kv_namespace, timeout=50, resource_version=since
        ) as pod_events,
        kube.events(
            kube.core.list_namespaced_replication_controller,
            kv_namespace,
            timeout=50,
            resource_version=since,
        ) as rc_events,
    ):
        kube.core.delete_namespaced_replication_controller(
            rc.metadata.name, kv_namespace, body={"propagationPolicy": "Foreground"}
        )
        rc_deleted = _deletions(rc_events, 1)
        pods_deleted = _deletions(pod_events, 10)
    last_pod = max(pods_deleted.values())
    (rc_version,) = rc_deleted.values()
    assert last_pod < rc_version, (
        "the ReplicationController was deleted before all of its pods were"
    )


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items())


def _deletions(events: Any, count: int) -> dict[str, int]:
    """The resource versions of the first ``count`` deletions the watch reports, by name."""
    seen: dict[str, int] = {}
    while len(seen) < count:
        event = events.next()
        assert event is not None, f"saw {len(seen)} of {count} deletions before the watch ended"
        if event["type"] == "DELETED":
            meta = event["object"]["metadata"]
            seen[meta["name"]] = int(meta["resourceVersion"])
    return seen


@standard_base(
    id="api-machinery/namespace-lifecycle",
    conformance=[
        f"{SIG} Namespaces should ensure that all services are removed when a namespace is "
        "deleted [Conformance] [Serial]"
    ],
    needs=["cluster-admin"],
    timeout=120,
)
def test_namespace_lifecycle(kube: Kube, run_id: str) -> None:
    """A deleted namespace is Terminating, is finalised and removed, and takes its Services with
    it.
    """
    name = b.unique("nsdeletetest")
    namespace = {"metadata": b.metadata(name, b.run_labels(run_id))}
    core = kube.core
    core.create_namespace(namespace)
    try:
        wait_for(
            f"the default ServiceAccount in {name}",
            lambda: not gone(lambda: core.read_namespaced_service_account("default", name)),
            30,
        )
        core.create_namespaced_service(
            name,
            b.service(
                "test-service", {"foo": "bar", "baz": "blah"}, [{"port": 80, "targetPort": 80}]
            ),
        )
        core.delete_namespace(name)
        phase = core.read_namespace(name).status.phase
        assert phase == "Terminating", f"a deleted namespace is {phase}, not Terminating"
        # The namespace controller takes a deletion up after its 5 s grace period and records
        # its deletion conditions on the first pass; none for 30 s means none is running.
        wait_for(
            f"the namespace controller to take up the deletion of {name}",
            lambda: _deletion_taken_up(core, name),
            30,
        )
        wait_for(
            f"namespace {name} to be finalised and removed",
            lambda: gone(lambda: core.read_namespace(name)),
            60,
        )
        core.create_namespace(namespace)
        assert gone(lambda: core.read_namespaced_service("test-service", name)), (
            "the service survived the deletion of its namespace"
        )
    finally:
        try:
            core.delete_namespace(name)
        except client.ApiException as exc:
            if exc.status != 404:
                raise


def _deletion_taken_up(core: Any, name: str) -> bool:
    try:
        namespace = core.read_namespace(name)
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return bool(namespace.status and namespace.status.conditions)


@standard_base(
    id="api-machinery/resource-quota",
    conformance=[
        f"{SIG} ResourceQuota should create a ResourceQuota and capture the life of a configMap. "
        "[Conformance]"
    ],
    timeout=60,
)
def test_resource_quota(kube: Kube, kv_namespace: str) -> None:
    """A ResourceQuota counts the ConfigMaps of its namespace, refuses one beyond its limit (403)
    and releases a deleted one.
    """
    core = kube.core

    def live() -> int:
        return len(core.list_namespaced_config_map(kv_namespace).items)

    def used_equals(expected: Any) -> bool:
        quota = core.read_namespaced_resource_quota("test-quota", kv_namespace)
        used = (quota.status.used or {}) if quota.status else {}
        want = {"configmaps": str(expected()), "resourcequotas": "1"}
        assert used == want, f"quota used is {used}, expected {want}"
        return True

    # A new namespace gets kube-root-ca.crt a moment after it exists; count after it (upstream
    # waits for the count to settle). Without a root-CA publisher, proceed after a short wait.
    with contextlib.suppress(AssertionError):
        wait_for(
            "kube-root-ca.crt",
            lambda: any(
                c.metadata.name == "kube-root-ca.crt"
                for c in core.list_namespaced_config_map(kv_namespace).items
            ),
            5,
        )
    start = live()
    core.create_namespaced_resource_quota(
        kv_namespace,
        {
            "metadata": {"name": "test-quota"},
            "spec": {"hard": {"configmaps": str(start + 1), "resourcequotas": "1"}},
        },
    )
    wait_for("the quota status to be calculated", lambda: used_equals(live), 30)
    core.create_namespaced_config_map(kv_namespace, _config_map("test-configmap", {}))
    wait_for("the quota to capture the ConfigMap", lambda: used_equals(live), 30)
    over = refused(
        "a ConfigMap beyond the quota",
        lambda: core.create_namespaced_config_map(kv_namespace, _config_map("over-quota", {})),
    )
    assert over.status == 403 and "exceeded quota" in str(over.body), (
        f"beyond the quota: expected 403 exceeded quota, got {over.status}"
    )
    core.delete_namespaced_config_map("test-configmap", kv_namespace)
    wait_for("the quota to release the ConfigMap", lambda: used_equals(live), 30)


def _apf_labels(run_id: str) -> tuple[dict[str, str], str]:
    value = secrets.token_hex(4)
    labels = b.run_labels(run_id, **{"kubeadm-verify.io/api-ops": value})
    return labels, f"kubeadm-verify.io/api-ops={value}"


@standard_base(
    id="api-machinery/flowschema-api",
    conformance=[
        f"{SIG} API priority and fairness should support FlowSchema API operations [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=60,
)
def test_flowschema_api(kube: Kube, run_id: str) -> None:
    """API priority and fairness: FlowSchema objects can be created, read, listed, watched,
    patched, updated and deleted.
    """
    labels, selector = _apf_labels(run_id)
    template = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
        "kind": "FlowSchema",
        "metadata": {"generateName": "e2e-example-fs-", "labels": labels},
        "spec": {
            "matchingPrecedence": 10000,
            "priorityLevelConfiguration": {"name": "global-default"},
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [
                {
                    "subjects": [
                        {"kind": "User", "user": {"name": "example-e2e-non-existent-user"}}
                    ],
                    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                }
            ],
        },
    }

    def update(obj: dict[str, Any]) -> None:
        obj["spec"]["matchingPrecedence"] = 9000

    Exercise(
        kube,
        ClusterResource("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema"),
        template,
        selector,
        spec_patch={"spec": {"matchingPrecedence": 9999}},
        spec_check=lambda obj: obj["spec"]["matchingPrecedence"] == 9999,
        spec_update=update,
        update_check=lambda obj: obj["spec"]["matchingPrecedence"] == 9000,
        condition={"status": "False", "reason": "E2E"},
    ).run()


@standard_base(
    id="api-machinery/prioritylevel-api",
    conformance=[
        f"{SIG} API priority and fairness should support PriorityLevelConfiguration API "
        "operations [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=60,
)
def test_prioritylevel_api(kube: Kube, run_id: str) -> None:
    """API priority and fairness: PriorityLevelConfiguration objects support every API operation,
    status included.
    """
    labels, selector = _apf_labels(run_id)
    template = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
        "kind": "PriorityLevelConfiguration",
        "metadata": {"generateName": "e2e-example-pl-", "labels": labels},
        "spec": {
            "type": "Limited",
            "limited": {"nominalConcurrencyShares": 2, "limitResponse": {"type": "Reject"}},
        },
    }

    def shares(obj: dict[str, Any]) -> int:
        return int(obj["spec"]["limited"]["nominalConcurrencyShares"])

    def update(obj: dict[str, Any]) -> None:
        obj["spec"]["limited"]["nominalConcurrencyShares"] = 6

    Exercise(
        kube,
        ClusterResource(
            "flowcontrol.apiserver.k8s.io",
            "v1",
            "prioritylevelconfigurations",
            "PriorityLevelConfiguration",
        ),
        template,
        selector,
        spec_patch={"spec": {"limited": {"nominalConcurrencyShares": 4}}},
        spec_check=lambda obj: shares(obj) == 4,
        spec_update=update,
        update_check=lambda obj: shares(obj) == 6,
        condition={"status": "False", "reason": "E2E"},
    ).run()
