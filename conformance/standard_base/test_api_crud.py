"""The newer APIs every v1.37 cluster serves by default, through upstream's generic CRUD
sequence (:mod:`conformance.standard_base.crud`): dynamic resource allocation (DeviceClass,
DeviceTaintRule, ResourceClaim, ResourceClaimTemplate, ResourceSlice), StorageVersionMigration
and ClusterTrustBundle. Each object selects nothing and names no real driver or node, so the
sequence changes nothing a workload sees.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import pki
from conformance.standard_base.apiops import ClusterResource
from conformance.standard_base.crud import CrudCase, run_crud
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base

DRA = "[sig-node] [DRA] CRUD Tests resource.k8s.io/v1"
RESOURCE = "resource.k8s.io"
LABEL = "test.dra.example.com"
CONDITION = {
    "type": "Testing",
    "status": "True",
    "reason": "E2E_test_running",
    "message": "This condition can be ignored.",
    "lastTransitionTime": "2026-01-01T00:00:00Z",
}
Manifest = dict[str, Any]


def _labelled(obj: Manifest) -> None:
    obj["metadata"].setdefault("labels", {})[LABEL] = "test"


def _has_label(obj: Manifest) -> bool:
    return bool((obj["metadata"].get("labels") or {}).get(LABEL) == "test")


LABEL_PATCH = {"metadata": {"labels": {LABEL: "test"}}}
CLAIM_SPEC = {
    "devices": {"requests": [{"name": "req-0", "exactly": {"deviceClassName": "dra.example.com"}}]}
}


def _conditions(obj: Manifest) -> list[str]:
    return [c["type"] for c in (obj.get("status") or {}).get("conditions", [])]


@standard_base(
    id="node/dra-deviceclass-crud",
    conformance=[f"{DRA} DeviceClass [Conformance]"],
    needs=["cluster-admin"],
    timeout=20,
)
def test_dra_deviceclass_crud(kube: Kube, run_id: str) -> None:
    """resource.k8s.io/v1 DeviceClasses (selecting no device) go through create, read, update,
    delete, patch, list and deletecollection, and a watch sees each change.
    """

    def update(obj: Manifest) -> None:
        obj["spec"]["selectors"][0]["cel"]["expression"] = "1 == 0"

    run_crud(
        kube,
        CrudCase(
            ClusterResource(RESOURCE, "v1", "deviceclasses", "DeviceClass", ()),
            {"spec": {"selectors": [{"cel": {"expression": "false"}}]}},
            update,
            {"spec": {"selectors": [{"cel": {"expression": "1 == 0"}}]}},
            lambda obj: obj["spec"]["selectors"][0]["cel"]["expression"] == "1 == 0",
        ),
        run_id,
    )


@standard_base(
    id="node/dra-devicetaintrule-crud",
    conformance=[f"{DRA} DeviceTaintRule [Conformance]"],
    needs=["cluster-admin"],
    timeout=20,
    since="1.37",
)
def test_dra_devicetaintrule_crud(kube: Kube, run_id: str) -> None:
    """resource.k8s.io/v1 DeviceTaintRules (tainting no device) go through every operation, their
    /status too, and a watch sees each change.
    """

    def update(obj: Manifest) -> None:
        obj["spec"]["taint"]["effect"] = "NoExecute"

    run_crud(
        kube,
        CrudCase(
            ClusterResource(RESOURCE, "v1", "devicetaintrules", "DeviceTaintRule"),
            {"spec": {"taint": {"key": "testing", "effect": "None"}}},
            update,
            {"spec": {"taint": {"effect": "NoExecute"}}},
            lambda obj: obj["spec"]["taint"]["effect"] == "NoExecute",
            status={"conditions": [CONDITION]},
            status_written=lambda obj: "Testing" in _conditions(obj),
        ),
        run_id,
    )


@standard_base(
    id="node/dra-resourceclaim-crud", conformance=[f"{DRA} ResourceClaim [Conformance]"], timeout=20
)
def test_dra_resourceclaim_crud(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """resource.k8s.io/v1 ResourceClaims go through every operation, their /status (an empty
    allocation) too, in a namespace and across namespaces, and a watch sees each change.
    """
    run_crud(
        kube,
        CrudCase(
            ClusterResource(RESOURCE, "v1", "resourceclaims", "ResourceClaim"),
            {"spec": CLAIM_SPEC},
            _labelled,
            LABEL_PATCH,
            _has_label,
            status={"allocation": {}},
            status_written=lambda obj: "allocation" in (obj.get("status") or {}),
        ),
        run_id,
        kv_namespace,
    )


@standard_base(
    id="node/dra-resourceclaimtemplate-crud",
    conformance=[f"{DRA} ResourceClaimTemplate [Conformance]"],
    timeout=20,
)
def test_dra_resourceclaimtemplate_crud(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """resource.k8s.io/v1 ResourceClaimTemplates go through every operation, in a namespace and
    across namespaces, and a watch sees each change.
    """
    run_crud(
        kube,
        CrudCase(
            ClusterResource(RESOURCE, "v1", "resourceclaimtemplates", "ResourceClaimTemplate", ()),
            {"spec": {"spec": CLAIM_SPEC}},
            _labelled,
            LABEL_PATCH,
            _has_label,
        ),
        run_id,
        kv_namespace,
    )


@standard_base(
    id="node/dra-resourceslice-crud",
    conformance=[f"{DRA} ResourceSlice [Conformance]"],
    needs=["cluster-admin"],
    timeout=20,
)
def test_dra_resourceslice_crud(kube: Kube, run_id: str) -> None:
    """resource.k8s.io/v1 ResourceSlices (of a node that does not exist) go through every
    operation, and a watch sees each change.
    """

    def update(obj: Manifest) -> None:
        obj["spec"]["devices"] = [{"name": "device-0"}]

    run_crud(
        kube,
        CrudCase(
            ClusterResource(RESOURCE, "v1", "resourceslices", "ResourceSlice", ()),
            {
                "spec": {
                    "driver": "dra.example.com",
                    "nodeName": "no-such-node",
                    "pool": {"name": "cluster", "generation": 1, "resourceSliceCount": 1},
                }
            },
            update,
            {"spec": {"devices": [{"name": "device-0"}]}},
            lambda obj: [d["name"] for d in obj["spec"].get("devices", [])] == ["device-0"],
        ),
        run_id,
    )


@standard_base(
    id="api-machinery/storage-version-migration-crud",
    conformance=[
        "[sig-api-machinery] StorageVersionMigration CRUD Tests "
        "storagemigration.k8s.io/v1 StorageVersionMigration [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=20,
    since="1.37",
)
def test_storage_version_migration_crud(kube: Kube, run_id: str) -> None:
    """storagemigration.k8s.io/v1 StorageVersionMigrations (of a resource that does not exist) go
    through every operation, their /status too, and a watch sees each change.
    """
    label = "test.storagemigration.example.com"
    condition = {
        **CONDITION,
        "type": "TestCondition",
        "reason": "TestReason",
        "message": "TestMessage",
    }

    def update(obj: Manifest) -> None:
        obj["metadata"].setdefault("labels", {})[label] = "test"

    run_crud(
        kube,
        CrudCase(
            ClusterResource(
                "storagemigration.k8s.io",
                "v1",
                "storageversionmigrations",
                "StorageVersionMigration",
            ),
            {"spec": {"resource": {"group": "", "resource": "foo"}}},
            update,
            {"metadata": {"labels": {label: "test"}}},
            lambda obj: (obj["metadata"].get("labels") or {}).get(label) == "test",
            status={"conditions": [condition]},
            status_written=lambda obj: "TestCondition" in _conditions(obj),
        ),
        run_id,
    )


@standard_base(
    id="auth/clustertrustbundle-crud",
    conformance=[
        "[sig-auth] [FeatureGate:ClusterTrustBundle] "
        "[FeatureGate:ClusterTrustBundleProjection] CRUD Tests certificates.k8s.io/v1 "
        "ClusterTrustBundles [MinimumKubeletVersion:1.37] [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=20,
    since="1.37",
)
def test_clustertrustbundle_crud(kube: Kube, run_id: str) -> None:
    """certificates.k8s.io/v1 ClusterTrustBundles (a CA of no signer) go through every operation,
    their trust bundle replaced by update and by patch, and a watch sees each change.
    """
    initial = pki.self_signed_pem("crud-root-initial", ca=True).decode()
    updated = pki.self_signed_pem("crud-root-updated", ca=True).decode()

    def update(obj: Manifest) -> None:
        obj["spec"]["trustBundle"] = updated

    run_crud(
        kube,
        CrudCase(
            ClusterResource(
                "certificates.k8s.io", "v1", "clustertrustbundles", "ClusterTrustBundle", ()
            ),
            {"spec": {"trustBundle": initial}},
            update,
            {"spec": {"trustBundle": updated}},
            lambda obj: obj["spec"]["trustBundle"] == updated,
        ),
        run_id,
    )
