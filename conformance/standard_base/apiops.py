"""The "should support <Kind> API operations" pattern of upstream's conformance tests, once.

Upstream checks each such API the same way (test/e2e/apimachinery/flowcontrol.go,
test/e2e/auth/certificates.go): the group and version are discovered, the resource and its
``/status`` are listed, and the resource supports create, get, list, watch, patch, update, the
status subresource, delete and deletecollection. :class:`Exercise` runs that sequence over the
generic custom-objects client, which speaks to any resource of a named group by group/version:
cluster-scoped, or in ``namespace``; the status steps only for a resource that has ``/status``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubernetes import client

from conformance.standard_base.kube import Kube, refused

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
    namespace: str | None = None
    """Where a namespaced resource is exercised; None for a cluster-scoped one."""

    @property
    def _api(self) -> Scoped:
        return Scoped(self.kube.custom, self.resource, self.namespace)

    def list(self) -> Manifest:
        result: Manifest = self._api.list(label_selector=self.selector)
        return result

    def run(self) -> None:
        check_discovery(self.kube, self.resource)
        try:
            self._run()
        finally:  # whatever step failed, nothing of ours stays
            self._api.delete_collection(self.selector)

    def _run(self) -> None:
        created = [self._api.create(self.template) for _ in range(3)]
        target = created[-1]
        name = target["metadata"]["name"]
        read = self._api.get(name)
        assert read["metadata"]["uid"] == target["metadata"]["uid"], "get returned another object"
        rv(read)
        listed = self.list()
        assert len(listed["items"]) == 3, f"the filtered list has {len(listed['items'])} items"
        if self.namespace is not None:
            r = self.resource
            everywhere = self.kube.custom.list_cluster_custom_object(
                r.group, r.version, r.plural, label_selector=self.selector
            )
            assert len(everywhere["items"]) == 3, (
                f"the cluster-wide filtered list has {len(everywhere['items'])} items"
            )
        with self.kube.events(
            self._api.list,
            resource_version=listed["metadata"]["resourceVersion"],
            label_selector=self.selector,
            timeout=30,
        ) as watch:
            patched = self._api.patch(
                name,
                {"metadata": {"annotations": {"patched": "true"}}, **self.spec_patch},
            )
            assert (patched["metadata"].get("annotations") or {}).get("patched") == "true", (
                "the patch did not add its annotation"
            )
            assert self.spec_check(patched), "the patch did not change the spec"
            assert rv(patched) > rv(target), "the patched object has no larger resource version"
            updated = self._update(name)
            assert updated["metadata"]["annotations"].get("updated") == "true", (
                "the update did not add its annotation"
            )
            assert self.update_check(updated), "the update did not change the spec"
            self._await_patched(watch)
        if "status" in self.resource.subresources:
            self._status(name, target)
        self._api.delete(name)
        missing = refused(f"a get of {name} after its delete", lambda: self._api.get(name))
        assert missing.status == 404, f"get after delete: expected 404, got {missing.status}"
        assert len(self.list()["items"]) == 2, "the filtered list should have 2 items"
        self._api.delete_collection(self.selector)
        assert self.list()["items"] == [], "deletecollection left items behind"

    def _update(self, name: str) -> Manifest:
        def attempt() -> Manifest:
            current = self._api.get(name)
            changed = copy.deepcopy(current)
            changed["metadata"].setdefault("annotations", {})["updated"] = "true"
            self.spec_update(changed)
            updated: Manifest = self._api.replace(name, changed)
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
        got = self._api.get_status(name)
        assert got["kind"] == self.resource.kind, f"/status returned kind {got.get('kind')}"
        assert got["apiVersion"] == self.resource.group_version, (
            f"/status returned apiVersion {got.get('apiVersion')}"
        )
        assert got["metadata"]["uid"] == target["metadata"]["uid"], (
            "/status returned another object (its uid differs)"
        )
        patched = self._api.patch_status(
            name,
            {"status": {"conditions": [{**self.condition, "type": "PatchStatusFailed"}]}},
        )
        types = [c["type"] for c in patched["status"].get("conditions", [])]
        assert "PatchStatusFailed" in types, f"the status patch is not there: {types}"

        def attempt() -> Manifest:
            current = self._api.get(name)
            current["status"].setdefault("conditions", []).append(
                {**self.condition, "type": "StatusUpdateFailed", "message": "kubeadm-verify"}
            )
            result: Manifest = self._api.replace_status(name, current)
            return result

        updated = retry_on_conflict(attempt)
        types = [c["type"] for c in updated["status"].get("conditions", [])]
        assert "StatusUpdateFailed" in types, f"the status update is not there: {types}"


class Scoped:
    """The custom-objects client's calls for one resource, cluster-scoped or in ``namespace``:
    one sequence in :class:`Exercise` for both kinds of resource."""

    def __init__(
        self, api: client.CustomObjectsApi, resource: ClusterResource, namespace: str | None
    ) -> None:
        self._api = api
        self._gvp = (resource.group, resource.version, resource.plural)
        self._namespace = namespace

    @property
    def namespace(self) -> str:
        """The namespace of a namespaced resource's calls (an error for a cluster-scoped one)."""
        assert self._namespace is not None, "a cluster-scoped resource has no namespace"
        return self._namespace

    def _call(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        group, version, plural = self._gvp
        if self._namespace is None:
            method = getattr(self._api, verb.format(scope="cluster"))
            return method(group, version, plural, *args, **kwargs)
        method = getattr(self._api, verb.format(scope="namespaced"))
        return method(group, version, self._namespace, plural, *args, **kwargs)

    def create(self, body: Manifest) -> Manifest:
        return self._call("create_{scope}_custom_object", body)  # type: ignore[no-any-return]

    def get(self, name: str) -> Manifest:
        return self._call("get_{scope}_custom_object", name)  # type: ignore[no-any-return]

    def list(self, **kwargs: Any) -> Any:
        """A list (or, with ``watch=True``, the watch response :meth:`Kube.events` reads)."""
        return self._call("list_{scope}_custom_object", **kwargs)

    def patch(self, name: str, body: Manifest) -> Manifest:
        return self._call("patch_{scope}_custom_object", name, body)  # type: ignore[no-any-return]

    def replace(self, name: str, body: Manifest) -> Manifest:
        return self._call(  # type: ignore[no-any-return]
            "replace_{scope}_custom_object", name, body
        )

    def delete(self, name: str) -> None:
        self._call("delete_{scope}_custom_object", name)

    def delete_collection(self, selector: str) -> None:
        self._call("delete_collection_{scope}_custom_object", label_selector=selector)

    def get_status(self, name: str) -> Manifest:
        return self._call(  # type: ignore[no-any-return]
            "get_{scope}_custom_object_status", name
        )

    def patch_status(self, name: str, body: Manifest) -> Manifest:
        return self._call(  # type: ignore[no-any-return]
            "patch_{scope}_custom_object_status", name, body
        )

    def replace_status(self, name: str, body: Manifest) -> Manifest:
        return self._call(  # type: ignore[no-any-return]
            "replace_{scope}_custom_object_status", name, body
        )
