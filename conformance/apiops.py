"""The "should support <Kind> API operations" pattern of upstream's conformance tests, once.

Upstream checks each such API the same way (test/e2e/apimachinery/flowcontrol.go,
test/e2e/auth/certificates.go): the group and version are discovered, the resource and its
``/status`` are listed, and the resource supports create, get, list, watch, patch, update, the
status subresource, delete and deletecollection. :func:`exercise` runs that sequence over the
generic custom-objects client, which speaks to any cluster-scoped resource by group/version.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubernetes import client

from conformance.kube import Kube, refused

Manifest = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class ClusterResource:
    group: str
    version: str
    plural: str
    kind: str
    subresources: tuple[str, ...] = ("status",)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}"


def check_discovery(kube: Kube, resource: ClusterResource) -> None:
    """/apis lists the group and version; the version lists the resource and subresources."""
    groups = kube.raw_json("/apis")["groups"]
    versions = [v["version"] for g in groups if g["name"] == resource.group for v in g["versions"]]
    assert resource.version in versions, f"/apis does not serve {resource.group_version}"
    group = kube.raw_json(f"/apis/{resource.group}")
    assert resource.version in [v["version"] for v in group["versions"]], (
        f"/apis/{resource.group} does not list version {resource.version}"
    )
    names = {r["name"] for r in kube.raw_json(f"/apis/{resource.group_version}")["resources"]}
    for wanted in (resource.plural, *(f"{resource.plural}/{s}" for s in resource.subresources)):
        assert wanted in names, f"/apis/{resource.group_version} does not list {wanted}"


def retry_on_conflict(attempt: Callable[[], T], tries: int = 5) -> T:
    """client-go's ``RetryOnConflict``: a controller may write the object between our read and
    our write (the API priority and fairness controller keeps FlowSchema status current)."""
    for _ in range(tries - 1):
        try:
            return attempt()
        except client.ApiException as exc:
            if exc.status != 409:
                raise
    return attempt()


def rv(obj: Manifest) -> int:
    """The resource version as a number; upstream compares them as such."""
    value = obj["metadata"]["resourceVersion"]
    assert value.isdigit(), f"resourceVersion {value!r} is not a valid resource version"
    return int(value)


@dataclass
class Exercise:
    """What :func:`exercise` does to one resource; each step's checks are upstream's."""

    kube: Kube
    resource: ClusterResource
    template: Manifest
    selector: str
    spec_patch: Manifest = field(default_factory=dict)
    spec_check: Callable[[Manifest], bool] = lambda obj: True
    spec_update: Callable[[Manifest], None] = lambda obj: None
    update_check: Callable[[Manifest], bool] = lambda obj: True
    condition: Manifest = field(default_factory=dict)

    @property
    def _api(self) -> client.CustomObjectsApi:
        return self.kube.custom

    def _args(self) -> tuple[str, str, str]:
        r = self.resource
        return r.group, r.version, r.plural

    def list(self) -> Manifest:
        result: Manifest = self._api.list_cluster_custom_object(
            *self._args(), label_selector=self.selector
        )
        return result

    def run(self) -> None:
        check_discovery(self.kube, self.resource)
        try:
            self._run()
        finally:  # whatever step failed, nothing of ours stays
            self._api.delete_collection_cluster_custom_object(
                *self._args(), label_selector=self.selector
            )

    def _run(self) -> None:
        created = [self._api.create_cluster_custom_object(*self._args(), self.template)
                   for _ in range(3)]
        target = created[-1]
        name = target["metadata"]["name"]
        read = self._api.get_cluster_custom_object(*self._args(), name)
        assert read["metadata"]["uid"] == target["metadata"]["uid"], "get returned another object"
        rv(read)
        listed = self.list()
        assert len(listed["items"]) == 3, f"the filtered list has {len(listed['items'])} items"
        with self.kube.events(
            self._api.list_cluster_custom_object, *self._args(),
            resource_version=listed["metadata"]["resourceVersion"],
            label_selector=self.selector, timeout=30,
        ) as watch:
            patched = self._api.patch_cluster_custom_object(
                *self._args(), name,
                {"metadata": {"annotations": {"patched": "true"}}, **self.spec_patch},
            )
            assert (patched["metadata"].get("annotations") or {}).get("patched") == "true", (
                "the patch did not add its annotation")
            assert self.spec_check(patched), "the patch did not change the spec"
            assert rv(patched) > rv(target), "the patched object has no larger resource version"
            updated = self._update(name)
            assert updated["metadata"]["annotations"].get("updated") == "true", (
                "the update did not add its annotation")
            assert self.update_check(updated), "the update did not change the spec"
            self._await_patched(watch)
        self._status(name, target)
        self._api.delete_cluster_custom_object(*self._args(), name)
        missing = refused(f"a get of {name} after its delete",
                          lambda: self._api.get_cluster_custom_object(*self._args(), name))
        assert missing.status == 404, f"get after delete: expected 404, got {missing.status}"
        assert len(self.list()["items"]) == 2, "the filtered list should have 2 items"
        self._api.delete_collection_cluster_custom_object(
            *self._args(), label_selector=self.selector
        )
        assert self.list()["items"] == [], "deletecollection left items behind"

    def _update(self, name: str) -> Manifest:
        def attempt() -> Manifest:
            current = self._api.get_cluster_custom_object(*self._args(), name)
            changed = copy.deepcopy(current)
            changed["metadata"].setdefault("annotations", {})["updated"] = "true"
            self.spec_update(changed)
            updated: Manifest = self._api.replace_cluster_custom_object(
                *self._args(), name, changed)
            return updated

        return retry_on_conflict(attempt)

    def _await_patched(self, watch: Any) -> None:
        while True:
            event = watch.next()
            assert event is not None, "the watch ended before showing the patched object"
            assert event["type"] == "MODIFIED", f"unexpected {event['type']} event"
            if (event["object"]["metadata"].get("annotations") or {}).get("patched") == "true":
                return

    def _status(self, name: str, target: Manifest) -> None:
        got = self._api.get_cluster_custom_object_status(*self._args(), name)
        assert got["kind"] == self.resource.kind, f"/status returned kind {got.get('kind')}"
        assert got["apiVersion"] == self.resource.group_version, (
            f"/status returned apiVersion {got.get('apiVersion')}")
        assert got["metadata"]["uid"] == target["metadata"]["uid"], (
            "/status returned another object (its uid differs)")
        patched = self._api.patch_cluster_custom_object_status(
            *self._args(), name,
            {"status": {"conditions": [{**self.condition, "type": "PatchStatusFailed"}]}},
        )
        types = [c["type"] for c in patched["status"].get("conditions", [])]
        assert "PatchStatusFailed" in types, f"the status patch is not there: {types}"

        def attempt() -> Manifest:
            current = self._api.get_cluster_custom_object(*self._args(), name)
            current["status"].setdefault("conditions", []).append(
                {**self.condition, "type": "StatusUpdateFailed", "message": "kubeadm-verify"}
            )
            result: Manifest = self._api.replace_cluster_custom_object_status(
                *self._args(), name, current)
            return result

        updated = retry_on_conflict(attempt)
        types = [c["type"] for c in updated["status"].get("conditions", [])]
        assert "StatusUpdateFailed" in types, f"the status update is not there: {types}"
