"""The storage APIs any cluster serves, with or without a storage driver: StorageClasses,
VolumeAttributesClasses, CSINodes, CSIDrivers, VolumeAttachments (and their status) and
CSIStorageCapacities, each through the operations upstream's conformance specs put it through.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import ClusterResource, Exercise, retry_on_conflict, rv
from conformance.standard_base.kube import Kube, gone, refused, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import first_nodes

SIG = "[sig-storage]"
STORAGE = "storage.k8s.io"
Manifest = dict[str, Any]


@dataclass(frozen=True)
class Lifecycle:
    """Upstream's "should run through the lifecycle of a <Kind>" for a cluster-scoped storage.k8s.io
    resource: create, get, patch a label (a larger resourceVersion), delete and see it gone;
    create a replacement, update a label, list it by that label, delete it by collection."""

    kube: Kube
    plural: str
    make: Callable[[str], Manifest]
    """A manifest of the kind under the given name, carrying the run's labels."""

    def _args(self) -> tuple[str, str, str]:
        return STORAGE, "v1", self.plural

    def run(self, run_id: str) -> None:
        api = self.kube.custom
        try:
            self._first(api)
            self._replacement(api)
        finally:  # whatever step failed, nothing of ours stays
            api.delete_collection_cluster_custom_object(
                *self._args(), label_selector=f"{b.RUN_LABEL}={run_id}"
            )

    def _first(self, api: Any) -> None:
        name = b.unique("e2e")
        created = api.create_cluster_custom_object(*self._args(), self.make(name))
        read = api.get_cluster_custom_object(*self._args(), name)
        assert read["metadata"]["uid"] == created["metadata"]["uid"], "get returned another object"
        patched = api.patch_cluster_custom_object(
            *self._args(), name, {"metadata": {"labels": {name: "patched"}}}
        )
        assert patched["metadata"]["labels"].get(name) == "patched", "the patched label is missing"
        assert rv(patched) > rv(read), "the patched object has no larger resource version"
        api.delete_cluster_custom_object(*self._args(), name)
        wait_for(
            f"{name} to be deleted",
            lambda: gone(lambda: api.get_cluster_custom_object(*self._args(), name)),
            10,
        )

    def _replacement(self, api: Any) -> None:
        name = b.unique("e2e-replacement")
        api.create_cluster_custom_object(*self._args(), self.make(name))

        def update() -> Manifest:
            current = api.get_cluster_custom_object(*self._args(), name)
            current["metadata"]["labels"][name] = "updated"
            result: Manifest = api.replace_cluster_custom_object(*self._args(), name, current)
            return result

        updated = retry_on_conflict(update)
        assert updated["metadata"]["labels"].get(name) == "updated", "the updated label is missing"
        selector = f"{name}=updated"
        listed = api.list_cluster_custom_object(*self._args(), label_selector=selector)
        assert len(listed["items"]) == 1, f"{len(listed['items'])} objects listed by label, not 1"
        api.delete_collection_cluster_custom_object(*self._args(), label_selector=selector)
        wait_for(
            f"{name} to be deleted by collection",
            lambda: (
                not (
                    api.list_cluster_custom_object(*self._args(), label_selector=selector)["items"]
                )
            ),
            10,
        )


def _storage(kind: str, name: str, run_id: str, **fields: Any) -> Manifest:
    return {
        "apiVersion": f"{STORAGE}/v1",
        "kind": kind,
        "metadata": b.metadata(name, b.run_labels(run_id)),
        **fields,
    }


@standard_base(
    id="storage/storageclass-lifecycle",
    conformance=[
        f"{SIG} StorageClasses CSI Conformance should run through the lifecycle of a "
        "StorageClass [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_storageclass_lifecycle(kube: Kube, run_id: str) -> None:
    """StorageClasses are created, read, patched, updated, listed by label, deleted and deleted
    by collection.
    """
    Lifecycle(
        kube,
        "storageclasses",
        lambda name: _storage("StorageClass", name, run_id, provisioner="e2e-fake-provisioner"),
    ).run(run_id)


@standard_base(
    id="storage/volumeattributesclass-lifecycle",
    conformance=[
        f"{SIG} VolumeAttributesClass [FeatureGate:VolumeAttributesClass] should run "
        "through the lifecycle of a VolumeAttributesClass [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_volumeattributesclass_lifecycle(kube: Kube, run_id: str) -> None:
    """VolumeAttributesClasses are created, read, patched, updated, listed by label, deleted and
    deleted by collection.
    """
    Lifecycle(
        kube,
        "volumeattributesclasses",
        lambda name: _storage(
            "VolumeAttributesClass",
            name,
            run_id,
            driverName="e2e-fake-csi-driver",
            parameters={"foo": "bar"},
        ),
    ).run(run_id)


@standard_base(
    id="storage/csinode-lifecycle",
    conformance=[
        f"{SIG} CSINodes CSI Conformance should run through the lifecycle of a csinode "
        "[Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_csinode_lifecycle(kube: Kube, run_id: str) -> None:
    """CSINodes are created, read, patched, updated, listed by label, deleted and deleted by
    collection.
    """
    Lifecycle(
        kube, "csinodes", lambda name: _storage("CSINode", name, run_id, spec={"drivers": []})
    ).run(run_id)


@standard_base(
    id="storage/csidriver-lifecycle",
    conformance=[
        f"{SIG} CSIInlineVolumes should run through the lifecycle of a CSIDriver [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_csidriver_lifecycle(kube: Kube, run_id: str) -> None:
    """CSIDrivers are created (a taken name refused, 409), read, patched, updated, listed by
    label, deleted and deleted by collection.
    """
    api, args = kube.custom, (STORAGE, "v1", "csidrivers")
    tag = secrets.token_hex(4)

    def driver(name: str) -> Manifest:
        body = _storage("CSIDriver", name, run_id, spec={"volumeLifecycleModes": ["Ephemeral"]})
        body["metadata"]["labels"]["e2e-test"] = tag
        return body

    first, second = b.unique("inline-driver"), b.unique("inline-driver")
    try:
        created = api.create_cluster_custom_object(*args, driver(first))
        created2 = api.create_cluster_custom_object(*args, driver(second))
        rv(created)
        taken = refused(
            "a second CSIDriver under a taken name",
            lambda: api.create_cluster_custom_object(*args, driver(first)),
        )
        assert taken.status == 409, f"a taken name: expected 409, got {taken.status}"
        for made in (created, created2):
            read = api.get_cluster_custom_object(*args, made["metadata"]["name"])
            assert read["metadata"]["uid"] == made["metadata"]["uid"], "get returned another one"
        patched = api.patch_cluster_custom_object(
            *args, second, {"metadata": {"labels": {second: "patched"}}}
        )
        assert patched["metadata"]["labels"].get(second) == "patched", "the patch lost its label"
        assert rv(patched) > rv(created2), "the patched CSIDriver has no larger resource version"

        def update() -> Manifest:
            current = api.get_cluster_custom_object(*args, second)
            current["metadata"]["labels"][second] = "updated"
            result: Manifest = api.replace_cluster_custom_object(*args, second, current)
            return result

        assert retry_on_conflict(update)["metadata"]["labels"].get(second) == "updated", (
            "the update lost its label"
        )
        listed = api.list_cluster_custom_object(*args, label_selector=f"e2e-test={tag}")
        assert len(listed["items"]) == 2, f"{len(listed['items'])} CSIDrivers listed, not 2"
        api.delete_cluster_custom_object(*args, first)
        assert gone(lambda: api.get_cluster_custom_object(*args, first)), (
            "the deleted CSIDriver can still be read"
        )
        api.delete_collection_cluster_custom_object(*args, label_selector=f"{second}=updated")
        wait_for(
            "the CSIDriver to be deleted by collection",
            lambda: gone(lambda: api.get_cluster_custom_object(*args, second)),
            10,
        )
    finally:
        api.delete_collection_cluster_custom_object(*args, label_selector=f"e2e-test={tag}")


@standard_base(
    id="storage/volumeattachment-lifecycle",
    conformance=[
        f"{SIG} VolumeAttachment Conformance should run through the lifecycle of a "
        "VolumeAttachment [Conformance]",
        f"{SIG} VolumeAttachment Conformance should apply changes to a volumeattachment status "
        "[Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_volumeattachment_lifecycle(kube: Kube, run_id: str) -> None:
    """VolumeAttachments are created, read, patched, updated, listed, deleted and deleted by
    collection; their /status reads, patches and updates `attached`.
    """
    api, args = kube.custom, (STORAGE, "v1", "volumeattachments")
    nodes = first_nodes(kube, 1, lambda _: True)  # any node: one page, however many there are
    node = nodes[0].metadata.name if nodes else "no-such-node"
    tag = secrets.token_hex(4)

    def attachment(name: str) -> Manifest:
        body = _storage(
            "VolumeAttachment",
            name,
            run_id,
            spec={
                "attacher": "e2e-test.storage.k8s.io",
                "nodeName": node,
                "source": {"persistentVolumeName": f"pv-{name}"},
            },
        )
        body["metadata"]["labels"]["va-e2e"] = tag
        return body

    try:
        Lifecycle(kube, "volumeattachments", attachment).run(run_id)
        name = b.unique("va-e2e")
        api.create_cluster_custom_object(*args, attachment(name))
        status = api.get_cluster_custom_object_status(*args, name)
        assert not (status.get("status") or {}).get("attached"), "a new attachment is attached"
        patched = api.patch_cluster_custom_object_status(
            *args, name, {"status": {"attached": True}}
        )
        assert patched["status"]["attached"] is True, "the /status patch did not attach it"

        def update() -> Manifest:
            current = api.get_cluster_custom_object(*args, name)
            current["status"]["attached"] = False
            result: Manifest = api.replace_cluster_custom_object_status(*args, name, current)
            return result

        assert retry_on_conflict(update)["status"]["attached"] is False, (
            "the /status update did not detach it"
        )
        api.delete_cluster_custom_object(*args, name)
        assert gone(lambda: api.get_cluster_custom_object(*args, name)), (
            "the deleted VolumeAttachment can still be read"
        )
    finally:
        api.delete_collection_cluster_custom_object(*args, label_selector=f"va-e2e={tag}")


@standard_base(
    id="storage/csistoragecapacity-api",
    conformance=[
        f"{SIG} CSIStorageCapacity should support CSIStorageCapacities API operations [Conformance]"
    ],
    timeout=15,
)
def test_csistoragecapacity_api(kube: Kube, kv_namespace: str) -> None:
    """storage.k8s.io CSIStorageCapacities are discovered and support every operation, in a
    namespace and across namespaces.
    """
    labels = {"test": secrets.token_hex(4)}
    template = {
        "apiVersion": f"{STORAGE}/v1",
        "kind": "CSIStorageCapacity",
        "metadata": {"generateName": "fake-csc-", "labels": labels},
        "storageClassName": "e2e-fake-storage-class",
        "nodeTopology": {"matchLabels": {"kubernetes.io/hostname": "fake-node"}},
        "capacity": "1Gi",
    }
    Exercise(
        kube,
        ClusterResource(STORAGE, "v1", "csistoragecapacities", "CSIStorageCapacity", ()),
        template,
        f"test={labels['test']}",
        spec_patch={"capacity": "2Gi"},
        spec_check=lambda obj: obj["capacity"] == "2Gi",
        namespace=kv_namespace,
    ).run()
