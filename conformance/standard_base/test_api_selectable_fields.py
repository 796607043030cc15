"""api-machinery: custom resources listed, watched and deleted by their own fields
(``selectableFields``), each version of a CRD selecting on the paths it declares.

The sequence is upstream's (:mod:`conformance.standard_base.selectablefields`). Upstream's CRD
stores v1's ``hostPort`` and converts it to v2's ``host`` and ``port`` through agnhost's
conversion webhook, which runs in a pod on a real node: ``crd-selectable-fields-conversion`` does
that, and so also shows the API server selecting on the view a webhook gave it. The same
selections on a CRD whose versions both carry all three fields, written by the test, need the
API server alone: ``crd-selectable-fields`` runs on any cluster.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import Record, standard_base
from conformance.standard_base.selectablefields import (
    Resource,
    crd,
    exercise,
    version,
    wait_served,
)
from conformance.standard_base.webhookserver import start, wait_ready
from kubeadm_verify.runner import WARNING_PROPERTY

CONVERSION_GROUP = "stable.example.com"
"""The one group agnhost's converter knows; each run's CRD has its own resource name in it."""
SELECTORS = "[sig-api-machinery] CustomResourceFieldSelectors [Privileged:ClusterAdmin]"


def _delete(kube: Kube, resource: Resource) -> None:
    try:
        kube.extensions.delete_custom_resource_definition(resource.crd_name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def _written_by_the_test(host: str, port: str | None) -> dict[str, Any]:
    """Without a converter every version sees what was written: v1's field is written too,
    as agnhost's converter would make it."""
    fields = {"host": host, "hostPort": f"{host}:{port or ''}"}
    return fields if port is None else {**fields, "port": port}


@standard_base(
    id="api-machinery/crd-selectable-fields",
    needs=["cluster-admin"],
    timeout=30,
)
def test_crd_selectable_fields(
    kube: Kube, kv_namespace: str, run_id: str, record_property: Record
) -> None:
    """A CRD whose v1 selects on ``hostPort`` and v2 on ``host`` and ``port`` (both versions
    carrying all three, no conversion): lists and watches by field selector (``=``, ``!=``, two
    fields at once) return exactly the objects that match, in either version; a field the version
    does not select is refused (400) for a list and a watch; a collection delete by field selector
    deletes only the matching object; an object updated out of a selection leaves it, which its
    watches, and a watch resumed from an earlier list's resourceVersion, see as DELETED.
    """
    group = f"g{secrets.token_hex(4)}.kubeadm-verify.io"
    resource = Resource(group, "selectables", "Selectable", kv_namespace)
    every = ["host", "port", "hostPort"]
    versions = [
        version("v1", True, every, ["hostPort"]),
        version("v2", False, every, ["host", "port"]),
    ]
    kube.extensions.create_custom_resource_definition(crd(resource, run_id, versions))
    try:
        wait_served(kube, resource)
        warn_if(exercise(kube, resource, _written_by_the_test), record_property)
    finally:
        _delete(kube, resource)


def _by_the_converter(host: str, port: str | None) -> dict[str, Any]:
    return {"host": host} if port is None else {"host": host, "port": port}


@standard_base(
    id="api-machinery/crd-selectable-fields-conversion",
    conformance=[
        f"{SELECTORS} CustomResourceFieldSelectors MUST list and watch custom resources "
        "matching the field selector [Conformance]"
    ],
    needs=["real-kubelet", "cluster-admin"],
    timeout=40,
)
def test_crd_selectable_fields_conversion(
    kube: Kube, kv_namespace: str, run_id: str, record_property: Record
) -> None:
    """Upstream's CRD: v1 stores ``hostPort`` and selects on it, v2 has ``host`` and ``port`` and
    selects on them, agnhost's webhook converting between them. Objects written as v2 are found by
    v1's ``hostPort`` as the webhook makes it and by v2's fields; lists, watches, a collection
    delete by field selector and an update out of a selection behave as without conversion, and
    the unselected field of each version is refused (400).
    """
    server = start(kube, kv_namespace, "e2e-test-crd-conversion-webhook", "crd-conversion-webhook")
    plural = f"{b.unique('e2e-test-crd-selectable')}s"
    kind = "".join(part.capitalize() for part in plural[:-1].split("-"))
    resource = Resource(CONVERSION_GROUP, plural, kind, kv_namespace)
    versions = [
        version("v1", True, ["hostPort"], ["hostPort"]),
        version("v2", False, ["host", "port"], ["host", "port"]),
    ]
    conversion = {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": server.client_config("/crdconvert"),
            "conversionReviewVersions": ["v1", "v1beta1"],
        },
    }
    kube.extensions.create_custom_resource_definition(
        crd(resource, run_id, versions, conversion=conversion)
    )
    try:
        wait_ready(kube, server)  # the CRD is established meanwhile
        wait_served(kube, resource)  # a write as v2 goes through the webhook
        warn_if(exercise(kube, resource, _by_the_converter), record_property)
    finally:
        _delete(kube, resource)


def warn_if(warning: str, record_property: Record) -> None:
    if warning:
        record_property(WARNING_PROPERTY, warning)
