"""ControllerRevisions: the history a DaemonSet keeps of its pod template, through the API.

The DaemonSet is pinned by a node selector no node carries, so it runs no pod anywhere: the
daemon controller still records its template as a ControllerRevision, which is what upstream's
spec is about (placing one pod per node is apps/daemonset-placement's, and on a large cluster
one pod per node is what a validator should not create).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube, RawResponse, server_said, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-apps]"
HASH_LABEL = "controller-revision-hash"  # apps/v1 DefaultDaemonSetUniqueLabelKey
NOWHERE = "kubeadm-verify.io/no-node"
"""A node label no node carries: the DaemonSet selects no node, so it runs no pod."""
REVISION_WAIT_S = 10


def _daemon_set(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": b.metadata(name, labels),
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": b.template(labels, nodeSelector={NOWHERE: name}),
        },
    }


class Revisions:
    """The ControllerRevisions of one DaemonSet, found by its pod template's labels."""

    def __init__(self, kube: Kube, namespace: str, selector: str) -> None:
        self.kube, self.namespace, self.selector = kube, namespace, selector

    def listed(self) -> list[Any]:
        return list(
            self.kube.apps.list_namespaced_controller_revision(
                self.namespace, label_selector=self.selector
            ).items
        )

    def await_count(self, count: int, why: str) -> list[Any]:
        def exactly() -> list[Any] | None:
            found = self.listed()
            assert len(found) == count, f"{len(found)} ControllerRevisions, not {count}"
            return found

        return wait_for(f"{count} ControllerRevision(s) {why}", exactly, REVISION_WAIT_S)


@standard_base(
    id="apps/controllerrevision-lifecycle",
    conformance=[
        f"{SIG} ControllerRevision should manage the lifecycle of a ControllerRevision "
        "[Conformance] [Serial]"
    ],
    timeout=12,
)
def test_controllerrevision_lifecycle(kube: Kube, kv_namespace: str) -> None:
    """A DaemonSet's template is recorded as a ControllerRevision (listed across namespaces),
    which is patched, joined by one the test creates, deleted, updated and deleted by
    collection; a change to the template makes the controller record revision 3.
    """
    apps, ns = kube.apps, kv_namespace
    name = b.unique("controller-revision")
    labels = {"daemonset-name": name}
    selector = f"daemonset-name={name}"
    ds = apps.create_namespaced_daemon_set(ns, _daemon_set(name, labels))
    revisions = Revisions(kube, ns, selector)

    def first_revision() -> list[Any] | None:
        found = apps.list_controller_revision_for_all_namespaces(label_selector=selector).items
        assert len(found) <= 1, f"{len(found)} ControllerRevisions for a new DaemonSet, not 1"
        return list(found)

    initial = wait_for(
        "the daemon controller to record the DaemonSet's template", first_revision, REVISION_WAIT_S
    )[0]
    owner = (initial.metadata.owner_references or [None])[0]
    assert owner is not None and owner.kind == "DaemonSet" and owner.uid == ds.metadata.uid, (
        "the ControllerRevision is not owned by its DaemonSet"
    )
    initial = apps.read_namespaced_controller_revision(initial.metadata.name, ns)
    version = int(initial.metadata.resource_version)

    patched = apps.patch_namespaced_controller_revision(
        initial.metadata.name, ns, {"metadata": {"labels": {initial.metadata.name: "patched"}}}
    )
    assert (patched.metadata.labels or {}).get(initial.metadata.name) == "patched", (
        "the patched label is missing"
    )
    assert int(patched.metadata.resource_version) > version, (
        "the patched ControllerRevision has no larger resource version"
    )

    _create_revision(kube, ns, ds, initial)
    revisions.await_count(2, "after one is created")
    _delete_if_there(kube, ns, initial.metadata.name)
    current = revisions.await_count(1, "after the first is deleted")[0]
    updated = _label(kube, ns, current.metadata.name, "updated")
    assert updated["metadata"].get("labels", {}).get(current.metadata.name) == "updated", (
        "the updated label is missing"
    )

    apps.patch_namespaced_daemon_set(
        name, ns, {"spec": {"template": {"spec": {"terminationGracePeriodSeconds": 1}}}}
    )
    revisions.await_count(2, "after the DaemonSet's template changed")
    apps.delete_collection_namespaced_controller_revision(
        ns, label_selector=f"{current.metadata.name}=updated"
    )
    left = revisions.await_count(1, "after a delete by collection")[0]
    assert left.revision == 3, f"the one left is revision {left.revision}, not 3"


def _create_revision(kube: Kube, ns: str, ds: Any, initial: Any) -> None:
    """A revision as upstream makes it: the DaemonSet's labels and a hash, owned (as
    controller) by the DaemonSet, the first revision's data, the next revision number.

    The data goes out byte for byte as the server holds it (read raw, written compact, keys in
    their order): the daemon controller knows a revision of its template by comparing those
    bytes, and the client's own encoding (spaces after separators) would make it another one.
    """
    path = f"/apis/apps/v1/namespaces/{ns}/controllerrevisions"
    raw = kube.raw_json(f"{path}/{initial.metadata.name}")
    revision_hash = secrets.token_hex(4)
    body = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"{ds.metadata.name}-{revision_hash}",
            "labels": {**(ds.spec.template.metadata.labels or {}), HASH_LABEL: revision_hash},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": ds.metadata.name,
                    "uid": ds.metadata.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": raw["data"],
        "revision": raw["revision"] + 1,
    }
    created = _send(kube, "POST", path, body)
    assert created.status == 201, (
        f"creating a ControllerRevision: HTTP {created.status}: {server_said(created.body)}"
    )


def _delete_if_there(kube: Kube, ns: str, name: str) -> None:
    """Delete the first revision; the daemon controller may have removed it already, as a
    duplicate of the one just created (both hold the same template), which is its own right."""
    try:
        kube.apps.delete_namespaced_controller_revision(name, ns)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def _label(kube: Kube, ns: str, name: str, value: str) -> Any:
    """Update (PUT) the revision with one more label. Its data is immutable, so it goes back
    byte for byte as read (see :func:`_create_revision`)."""
    path = f"/apis/apps/v1/namespaces/{ns}/controllerrevisions/{name}"

    def attempt() -> Any:
        current = kube.raw_json(path)
        current["metadata"].setdefault("labels", {})[name] = value
        sent = _send(kube, "PUT", path, current)
        if sent.status == 409:  # someone wrote it between our read and our write: read again
            raise client.ApiException(status=409)
        assert sent.status == 200, (
            f"updating a ControllerRevision: HTTP {sent.status}: {server_said(sent.body)}"
        )
        return sent.json()

    return retry_on_conflict(attempt)


def _send(kube: Kube, method: str, path: str, body: dict[str, Any]) -> RawResponse:
    return kube.raw(
        method,
        path,
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
