"""Namespaces and ServiceAccounts as API objects: a namespace's labels, /status and /finalize,
and a ServiceAccount's lifecycle, each change seen where upstream's conformance specs look.

Upstream runs the namespace specs [Serial] because each makes a namespace of its own; here each
works on its own test namespace, which no other test touches, so they run side by side.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base

NAMESPACES = "[sig-api-machinery] Namespaces"
AUTH = "[sig-auth] ServiceAccounts"
FAKE_FINALIZER = "e2e.example.com/fakeFinalizer"


@standard_base(
    id="api-machinery/namespace-api",
    conformance=[
        f"{NAMESPACES} should patch a Namespace [Conformance] [Serial]",
        f"{NAMESPACES} should apply an update to a Namespace [Conformance] [Serial]",
        f"{NAMESPACES} should apply changes to a namespace status [Conformance] [Serial]",
        f"{NAMESPACES} should apply a finalizer to a Namespace [Conformance] [Serial]",
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_namespace_api(kube: Kube, kv_namespace: str) -> None:
    """A namespace is patched (a larger resourceVersion) and updated; its /status reads Active
    and takes a patched and an updated condition; /finalize adds and removes a finalizer.
    """
    core, ns = kube.core, kv_namespace
    before = core.read_namespace(ns)
    patched = core.patch_namespace(ns, {"metadata": {"labels": {"testLabel": "testValue"}}})
    assert int(patched.metadata.resource_version) > int(before.metadata.resource_version), (
        "the patched namespace has no larger resource version"
    )
    assert core.read_namespace(ns).metadata.labels.get("testLabel") == "testValue", (
        "the namespace lacks the patched label"
    )

    def update() -> Any:
        current = core.read_namespace(ns)
        current.metadata.labels[ns] = "updated"
        return core.replace_namespace(ns, current)

    assert retry_on_conflict(update).metadata.labels.get(ns) == "updated", (
        "the namespace lacks the updated label"
    )
    status = kube.raw_json(f"/api/v1/namespaces/{ns}/status")
    assert status["status"]["phase"] == "Active", f"/status says {status['status']['phase']}"
    condition = {
        "type": "StatusPatch",
        "status": "True",
        "reason": "E2E",
        "message": "Patched by an e2e test",
    }
    patched = core.patch_namespace_status(
        ns,
        {
            "metadata": {"annotations": {"e2e-patched-ns-status": ns}},
            "status": {"conditions": [condition]},
        },
    )
    last = patched.status.conditions[-1]
    assert (last.reason, last.message) == ("E2E", "Patched by an e2e test"), (
        "the /status patch did not add its condition"
    )
    assert (patched.metadata.annotations or {}).get("e2e-patched-ns-status") == ns, (
        "the /status patch did not add its annotation"
    )

    def update_status() -> Any:
        current = core.read_namespace_status(ns)
        current.status.conditions = [
            *(current.status.conditions or []),
            client.V1NamespaceCondition(
                type="StatusUpdate", status="True", reason="E2E", message="Updated by an e2e test"
            ),
        ]
        return core.replace_namespace_status(ns, current)

    last = retry_on_conflict(update_status).status.conditions[-1]
    assert (last.type, last.message) == ("StatusUpdate", "Updated by an e2e test"), (
        "the /status update did not add its condition"
    )
    _finalize(kube, ns)


def _finalize(kube: Kube, ns: str) -> None:
    core = kube.core

    def finalizers(change: Any) -> Any:
        def attempt() -> Any:
            current = core.read_namespace(ns)
            current.spec.finalizers = change(list(current.spec.finalizers or []))
            return core.replace_namespace_finalize(ns, current)

        return retry_on_conflict(attempt)

    added = finalizers(lambda names: [*names, FAKE_FINALIZER])
    assert FAKE_FINALIZER in (added.spec.finalizers or []), "/finalize did not add the finalizer"
    removed = finalizers(lambda names: [n for n in names if n != FAKE_FINALIZER])
    assert FAKE_FINALIZER not in (removed.spec.finalizers or []), (
        "/finalize did not remove the finalizer"
    )


@standard_base(
    id="auth/serviceaccount-api",
    conformance=[
        f"{AUTH} should run through the lifecycle of a ServiceAccount [Conformance]",
        f"{AUTH} should update a ServiceAccount [Conformance]",
    ],
    timeout=15,
)
def test_serviceaccount_api(kube: Kube, kv_namespace: str) -> None:
    """ServiceAccounts are created, read, patched and updated (automountServiceAccountToken off
    and on), found by label across namespaces and deleted by collection, each change seen by a
    watch.
    """
    core, tag = kube.core, secrets.token_hex(4)
    selector = f"test-serviceaccount-static={tag}"
    since = core.list_service_account_for_all_namespaces(label_selector=selector).metadata
    with kube.events(
        core.list_namespaced_service_account,
        kv_namespace,
        label_selector=selector,
        resource_version=since.resource_version,
        timeout=10,
    ) as watch:
        created = core.create_namespaced_service_account(
            kv_namespace,
            {
                "metadata": {
                    "name": "testserviceaccount",
                    "labels": {"test-serviceaccount-static": tag},
                }
            },
        )
        read = core.read_namespaced_service_account("testserviceaccount", kv_namespace)
        assert read.metadata.uid == created.metadata.uid, "get returned another ServiceAccount"
        watch.expect("ADDED", "testserviceaccount")
        patched = core.patch_namespaced_service_account(
            "testserviceaccount", kv_namespace, {"automountServiceAccountToken": False}
        )
        assert int(patched.metadata.resource_version) > int(created.metadata.resource_version), (
            "the patched ServiceAccount has no larger resource version"
        )
        watch.expect("MODIFIED", "testserviceaccount")
        found = core.list_service_account_for_all_namespaces(label_selector=selector).items
        assert [(s.metadata.namespace, s.automount_service_account_token) for s in found] == [
            (kv_namespace, False)
        ], "the patched ServiceAccount is not found across namespaces"

        def update() -> Any:
            current = core.read_namespaced_service_account("testserviceaccount", kv_namespace)
            current.automount_service_account_token = True
            return core.replace_namespaced_service_account(
                "testserviceaccount", kv_namespace, current
            )

        assert retry_on_conflict(update).automount_service_account_token is True, (
            "the update did not turn automountServiceAccountToken on"
        )
        watch.expect("MODIFIED", "testserviceaccount")
        core.delete_collection_namespaced_service_account(kv_namespace, label_selector=selector)
        watch.expect("DELETED", "testserviceaccount")
