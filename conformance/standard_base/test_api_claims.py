"""PersistentVolumes and PersistentVolumeClaims through the API: their lifecycle and their status.

The volumes name a CSI driver no node runs, as upstream's do, and a storage class of their own
(the test's namespace), so only the test's own claim can bind to them: nothing is ever attached
or mounted, and any cluster, simulated nodes included, serves them.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-storage]"
PATCHED = {"type": "StatusPatched", "reason": "E2E patchedStatus"}
DELETE_WAIT_S = 8  # the protection controllers lift their finalizers once nothing uses them


@dataclass(frozen=True)
class Storage:
    """One PersistentVolume and one claim for it, made the way upstream's e2epv makes them."""

    kube: Kube
    namespace: str
    labels: dict[str, str]
    driver: str

    def create(self, handle: str) -> tuple[Any, Any]:
        pv = self.kube.core.create_persistent_volume(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": b.metadata(b.unique(self.namespace), self.labels),
                "spec": {
                    "capacity": {"storage": "2Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": self.namespace,
                    "csi": {"driver": self.driver, "volumeHandle": handle},
                },
            }
        )
        pvc = self.kube.core.create_namespaced_persistent_volume_claim(
            self.namespace,
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"generateName": "pvc-"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "2Gi"}},
                    "storageClassName": self.namespace,
                },
            },
        )
        return pv, pvc

    def pv_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels.items())

    def cleanup(self) -> None:
        """Whatever step failed, no volume of ours stays (claims go with the namespace)."""
        self.kube.core.delete_collection_persistent_volume(label_selector=self.pv_selector())


def _none_left(what: str, listed: Callable[[], list[Any]]) -> None:
    def empty() -> bool:
        items = listed()
        assert not items, f"{len(items)} {what} left"
        return True

    wait_for(f"the {what} to be deleted", empty, DELETE_WAIT_S)


def _storage(kube: Kube, ns: str, run_id: str) -> Storage:
    labels = b.run_labels(run_id, **{"e2e-pv-pool": ns})
    return Storage(kube, ns, labels, f"e2e-driver-{secrets.token_hex(4)}")


@standard_base(
    id="storage/pv-pvc-lifecycle",
    conformance=[
        f"{SIG} PersistentVolumes CSI Conformance should run through the lifecycle of a PV and "
        "a PVC [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=20,
)
def test_pv_pvc_lifecycle(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A PersistentVolume and a claim are created, listed, patched (a larger resource version),
    read and deleted; a second pair is updated, listed across namespaces by label and deleted
    by collection.
    """
    core, ns = kube.core, kv_namespace
    storage = _storage(kube, ns, run_id)
    try:
        pv, pvc = storage.create("e2e-conformance")
        listed_pvs = core.list_persistent_volume(label_selector=storage.pv_selector()).items
        assert len(listed_pvs) == 1, f"{len(listed_pvs)} PersistentVolumes listed by label, not 1"
        listed_pvcs = core.list_namespaced_persistent_volume_claim(ns).items
        assert len(listed_pvcs) == 1, f"{len(listed_pvcs)} claims in the namespace, not 1"
        pv_name, pvc_name = pv.metadata.name, pvc.metadata.name
        patched_pv = core.patch_persistent_volume(
            pv_name, {"metadata": {"labels": {pv_name: "patched"}}}
        )
        _patched(pv, patched_pv, pv_name)
        patched_pvc = core.patch_namespaced_persistent_volume_claim(
            pvc_name, ns, {"metadata": {"labels": {pvc_name: "patched"}}}
        )
        _patched(pvc, patched_pvc, pvc_name)
        assert core.read_persistent_volume(pv_name).metadata.uid == pv.metadata.uid, (
            "get returned another PersistentVolume"
        )
        assert (
            core.read_namespaced_persistent_volume_claim(pvc_name, ns).metadata.uid
            == pvc.metadata.uid
        ), "get returned another claim"
        core.delete_namespaced_persistent_volume_claim(pvc_name, ns)
        _none_left("claims", lambda: core.list_namespaced_persistent_volume_claim(ns).items)
        core.delete_persistent_volume(pv_name)
        _none_left(
            "PersistentVolumes",
            lambda: core.list_persistent_volume(label_selector=storage.pv_selector()).items,
        )
        _second_pair(storage)
    finally:
        storage.cleanup()


def _patched(before: Any, after: Any, label: str) -> None:
    kind = before.kind or "object"
    assert (after.metadata.labels or {}).get(label) == "patched", (
        f"the patched {kind}'s label is missing"
    )
    assert int(after.metadata.resource_version) > int(before.metadata.resource_version), (
        f"the patched {kind} has no larger resource version"
    )


def _second_pair(storage: Storage) -> None:
    core, ns = storage.kube.core, storage.namespace
    pv, pvc = storage.create("e2e-conformance")
    pv_name, pvc_name = pv.metadata.name, pvc.metadata.name

    def update_pv() -> Any:
        current = core.read_persistent_volume(pv_name)
        current.metadata.labels[pv_name] = "updated"
        return core.replace_persistent_volume(pv_name, current)

    def update_pvc() -> Any:
        current = core.read_namespaced_persistent_volume_claim(pvc_name, ns)
        current.metadata.labels = {**(current.metadata.labels or {}), pvc_name: "updated"}
        return core.replace_namespaced_persistent_volume_claim(pvc_name, ns, current)

    updated_pv = retry_on_conflict(update_pv)  # the volume controller binds it meanwhile
    assert updated_pv.metadata.labels.get(pv_name) == "updated", "the PV's update is missing"
    updated_pvc = retry_on_conflict(update_pvc)
    assert updated_pvc.metadata.labels.get(pvc_name) == "updated", "the claim's update is missing"
    pvc_selector, pv_selector = f"{pvc_name}=updated", f"{pv_name}=updated"
    everywhere = core.list_persistent_volume_claim_for_all_namespaces(
        label_selector=pvc_selector
    ).items
    assert len(everywhere) == 1, f"{len(everywhere)} claims listed across namespaces, not 1"
    core.delete_collection_namespaced_persistent_volume_claim(ns, label_selector=pvc_selector)
    _none_left(
        "claims deleted by collection",
        lambda: core.list_namespaced_persistent_volume_claim(ns, label_selector=pvc_selector).items,
    )
    core.delete_collection_persistent_volume(label_selector=pv_selector)
    _none_left(
        "PersistentVolumes deleted by collection",
        lambda: core.list_persistent_volume(label_selector=pv_selector).items,
    )


@standard_base(
    id="storage/pv-pvc-status",
    conformance=[
        f"{SIG} PersistentVolumes CSI Conformance should apply changes to a pv/pvc status "
        "[Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=8,
)
def test_pv_pvc_status(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """The /status of a PersistentVolume and of a claim is read (a phase the volume controller
    can have set), patched and updated, each change kept.
    """
    core, ns = kube.core, kv_namespace
    storage = _storage(kube, ns, run_id)
    try:
        pv, pvc = storage.create("e2e-status-conformance")
        pv_name, pvc_name = pv.metadata.name, pvc.metadata.name
        phase = core.read_namespaced_persistent_volume_claim_status(pvc_name, ns).status.phase
        assert phase in ("Pending", "Bound"), f"the claim's status has phase {phase}"
        phase = core.read_persistent_volume_status(pv_name).status.phase
        assert phase in ("Available", "Bound", "Pending"), f"the PV's status has phase {phase}"

        condition = {"status": "True", "message": "Set from e2e test"}
        patched_pvc = core.patch_namespaced_persistent_volume_claim_status(
            pvc_name,
            ns,
            {"status": {"conditions": [{**condition, **PATCHED}]}},
        )
        _has_condition(patched_pvc, "StatusPatched", "E2E patchedStatus")
        patched_pv = core.patch_persistent_volume_status(
            pv_name, {"status": {"message": "StatusPatched", "reason": "E2E patchStatus"}}
        )
        assert (patched_pv.status.reason, patched_pv.status.message) == (
            "E2E patchStatus",
            "StatusPatched",
        ), "the PV's status patch is not there"

        def update_pvc() -> Any:
            current = core.read_namespaced_persistent_volume_claim(pvc_name, ns)
            current.status.conditions = [
                *(current.status.conditions or []),
                {**condition, "type": "StatusUpdated", "reason": "E2E updateStatus"},
            ]
            return core.replace_namespaced_persistent_volume_claim_status(pvc_name, ns, current)

        _has_condition(retry_on_conflict(update_pvc), "StatusUpdated", "E2E updateStatus")

        def update_pv() -> Any:
            current = core.read_persistent_volume(pv_name)
            current.status.reason, current.status.message = "E2E updateStatus", "StatusUpdated"
            return core.replace_persistent_volume_status(pv_name, current)

        updated_pv = retry_on_conflict(update_pv)
        assert (updated_pv.status.reason, updated_pv.status.message) == (
            "E2E updateStatus",
            "StatusUpdated",
        ), "the PV's status update is not there"
    finally:
        storage.cleanup()


def _has_condition(pvc: Any, kind: str, reason: str) -> None:
    found = {c.type: c for c in pvc.status.conditions or []}
    assert kind in found, f"the claim's status has no {kind} condition: {sorted(found)}"
    assert reason in (found[kind].reason or "") and "Set from e2e test" in (
        found[kind].message or ""
    ), f"the claim's {kind} condition lost its reason or message"
