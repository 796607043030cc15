"""Upstream's generic "CRUD Tests <group>/<version> <Kind>" (test/e2e/framework/conformance),
once, for any resource of a named group.

Upstream holds the newer APIs (dynamic resource allocation, StorageVersionMigration,
ClusterTrustBundle) to one sequence: the resource is discovered; a watch started before the first
create sees every change; an object is created, read back, updated (a larger resourceVersion),
its /status updated and read; deleted (then 404); created again and patched; its /status patched;
listed by label in its namespace and across namespaces; deleted by collection. :func:`run_crud`
is that sequence over the custom-objects client (one patch type, JSON merge patch: upstream
notes one is enough for conformance).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import (
    ClusterResource,
    Scoped,
    check_discovery,
    retry_on_conflict,
    rv,
)
from conformance.standard_base.kube import EventStream, Kube, refused

Manifest = dict[str, Any]


@dataclass(frozen=True)
class CrudCase:
    """One resource and the changes the sequence makes to it."""

    resource: ClusterResource
    body: Manifest
    """The object's fields beyond apiVersion, kind and metadata."""
    update: Callable[[Manifest], None]
    """Changes a read object in place, for an update."""
    patch: Manifest
    """A JSON merge patch making the same change."""
    changed: Callable[[Manifest], bool]
    """Whether an object carries the change."""
    status: Manifest | None = None
    """A status to write through /status (None: the resource has no /status)."""
    status_written: Callable[[Manifest], bool] = field(default=lambda obj: True)


def run_crud(kube: Kube, case: CrudCase, run_id: str, namespace: str | None = None) -> None:
    """The whole sequence; whatever step fails, nothing labelled by it stays."""
    resource = case.resource
    check_discovery(kube, resource)
    api = Scoped(kube.custom, resource, namespace)
    tag = secrets.token_hex(4)
    selector = f"kubeadm-verify.io/crud={tag}"
    labels = b.run_labels(run_id, **{"kubeadm-verify.io/crud": tag})
    name = b.unique("crud")
    manifest = {
        "apiVersion": resource.group_version,
        "kind": resource.kind,
        "metadata": b.metadata(name, labels),
        **copy.deepcopy(case.body),
    }
    since = api.list(label_selector=selector)["metadata"]["resourceVersion"]
    try:
        with kube.events(
            api.list, label_selector=selector, resource_version=since, timeout=20
        ) as watch:
            _first_life(api, case, manifest, name)
            _second_life(kube, api, case, manifest, name, selector, namespace)
            _saw_both_lives(watch, name)
    finally:
        api.delete_collection(selector)


def _first_life(api: Scoped, case: CrudCase, manifest: Manifest, name: str) -> None:
    created = api.create(manifest)
    read = api.get(name)
    assert read["metadata"]["uid"] == created["metadata"]["uid"], "get returned another object"

    def update() -> Manifest:
        current = api.get(name)
        case.update(current)
        return api.replace(name, current)

    updated = retry_on_conflict(update)
    assert case.changed(updated), "the update did not change the object"
    assert rv(updated) > rv(created), "the updated object has no larger resource version"
    if case.status is not None:
        status = case.status

        def write_status() -> Manifest:
            current = api.get(name)
            current["status"] = copy.deepcopy(status)
            return api.replace_status(name, current)

        assert case.status_written(retry_on_conflict(write_status)), (
            "the /status update did not write the status"
        )
        got = api.get_status(name)
        assert got["metadata"]["uid"] == created["metadata"]["uid"], (
            "/status returned another object"
        )
        assert case.status_written(got), "/status does not read back the written status"
    api.delete(name)
    missing = refused(f"a get of {name} after its delete", lambda: api.get(name))
    assert missing.status == 404, f"get after delete: expected 404, got {missing.status}"


def _second_life(
    kube: Kube,
    api: Scoped,
    case: CrudCase,
    manifest: Manifest,
    name: str,
    selector: str,
    namespace: str | None,
) -> None:
    api.create(manifest)
    patched = api.patch(name, case.patch)
    assert case.changed(patched), "the merge patch did not change the object"
    if case.status is not None:
        patched = api.patch_status(name, {"status": case.status})
        assert case.status_written(patched), "the /status merge patch did not write the status"
    listed = api.list(label_selector=selector)["items"]
    assert [i["metadata"]["name"] for i in listed] == [name], (
        f"the list by label holds {len(listed)} objects, not exactly the test's"
    )
    if namespace is not None:
        r = case.resource
        everywhere = kube.custom.list_cluster_custom_object(
            r.group, r.version, r.plural, label_selector=selector
        )["items"]
        assert len(everywhere) == 1, (
            f"the list across namespaces holds {len(everywhere)} objects, not 1"
        )
    api.delete_collection(selector)
    missing = refused(f"a get of {name} after deletecollection", lambda: api.get(name))
    assert missing.status == 404, f"get after deletecollection: expected 404, got {missing.status}"


def _saw_both_lives(watch: EventStream, name: str) -> None:
    """The watch saw the object added, changed and deleted, then added and deleted again."""
    seen: list[str] = []
    while seen.count("DELETED") < 2:
        event = watch.next()
        assert event is not None, f"the watch ended after {seen}"
        got = event["object"]["metadata"]["name"]
        assert got == name, f"the watch showed {event['type']} of another object"
        seen.append(event["type"])
    lives = [t for t in seen if t != "MODIFIED"]
    assert lives == ["ADDED", "DELETED", "ADDED", "DELETED"], f"the watch showed {seen}"
    assert "MODIFIED" in seen[: seen.index("DELETED")], "the watch missed the update"
