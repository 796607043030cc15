"""ConfigMaps and Secrets as API objects: their lifecycle, validation of their keys, and the
`immutable` field the API server enforces (what a kubelet later mounts is the storage area's).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, refused, server_said, wait_for
from conformance.standard_base.marker import standard_base

NODE = "[sig-node]"
STORAGE = "[sig-storage]"


@standard_base(
    id="node/configmap-api",
    conformance=[
        f"{NODE} ConfigMap should run through a ConfigMap lifecycle [Conformance]",
        f"{NODE} ConfigMap should update ConfigMap successfully [Conformance] [NodeConformance]",
        f"{NODE} ConfigMap should fail to create ConfigMap with empty key [Conformance]",
    ],
    timeout=15,
)
def test_configmap_api(kube: Kube, kv_namespace: str) -> None:
    """ConfigMaps are created, read, updated, patched (a larger resourceVersion), found by label
    across namespaces and deleted by collection; one with an empty key is refused.
    """
    core, tag = kube.core, secrets.token_hex(4)
    selector = f"test-configmap-static={tag}"
    core.create_namespaced_config_map(
        kv_namespace,
        {
            "metadata": b.metadata("test-configmap", {"test-configmap-static": tag}),
            "data": {"valueName": "value"},
        },
    )
    read = core.read_namespaced_config_map("test-configmap", kv_namespace)
    assert (read.data or {}).get("valueName") == "value", "the ConfigMap reads back differently"
    read.data = {"valueName": "value", "data": "updated"}
    core.replace_namespaced_config_map("test-configmap", kv_namespace, read)
    updated = core.read_namespaced_config_map("test-configmap", kv_namespace)
    assert updated.data == {"valueName": "value", "data": "updated"}, (
        f"the updated ConfigMap holds keys {sorted(updated.data or {})}"
    )
    patched = core.patch_namespaced_config_map(
        "test-configmap",
        kv_namespace,
        {"metadata": {"labels": {"test-configmap": "patched"}}, "data": {"valueName": "patched"}},
    )
    assert int(patched.metadata.resource_version) > int(updated.metadata.resource_version), (
        "the patched ConfigMap has no larger resource version"
    )
    assert (patched.data or {}).get("valueName") == "patched", "the patch did not change the data"
    found = core.list_config_map_for_all_namespaces(label_selector=selector).items
    assert [(c.metadata.namespace, c.metadata.name) for c in found] == [
        (kv_namespace, "test-configmap")
    ], "the ConfigMap is not found by label across namespaces"
    core.delete_collection_namespaced_config_map(kv_namespace, label_selector=selector)
    wait_for(
        "the ConfigMap to be deleted by collection",
        lambda: not (core.list_namespaced_config_map(kv_namespace, label_selector=selector).items),
        10,
    )
    empty = refused(
        "a ConfigMap with an empty key",
        lambda: core.create_namespaced_config_map(
            kv_namespace, {"metadata": {"name": "configmap-empty-key"}, "data": {"": "value"}}
        ),
    )
    assert empty.status == 422, f"an empty key: expected 422, got {empty.status}"


def _check_immutable(
    kind: str, read: Callable[[], Any], update: Callable[[Any], Any], data_field: str, value: str
) -> None:
    """Once `immutable` is set, a change of data or a return to mutable is refused (422), and
    the metadata may still change."""
    current = read()
    current.immutable = True
    update(current)
    current = read()
    getattr(current, data_field)["data-5"] = value
    changed = refused(f"a change of an immutable {kind}'s data", lambda: update(current))
    assert changed.status == 422, (
        f"a change of immutable data: expected 422, got {changed.status}: "
        f"{server_said(changed.body)}"
    )
    current = read()
    assert current.immutable is True, f"the {kind} is no longer immutable"
    current.immutable = False
    back = refused(f"an immutable {kind} made mutable", lambda: update(current))
    assert back.status == 422, f"immutable to mutable: expected 422, got {back.status}"
    current = read()
    current.metadata.labels = {"label1": "value1"}
    relabelled = update(current)
    assert (relabelled.metadata.labels or {}).get("label1") == "value1", (
        f"the immutable {kind}'s labels could not change"
    )


@standard_base(
    id="storage/configmap-immutable",
    conformance=[
        f"{STORAGE} ConfigMap should be immutable if `immutable` field is set [Conformance]"
    ],
    timeout=15,
)
def test_configmap_immutable(kube: Kube, kv_namespace: str) -> None:
    """A ConfigMap's data changes until it is marked immutable; then its data cannot change and
    it cannot be made mutable again (422), while its labels still can.
    """
    core = kube.core
    core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": "immutable"}, "data": {"data-1": "value-1"}}
    )
    current = core.read_namespaced_config_map("immutable", kv_namespace)
    current.data["data-4"] = "value-4"
    core.replace_namespaced_config_map("immutable", kv_namespace, current)
    _check_immutable(
        "ConfigMap",
        lambda: core.read_namespaced_config_map("immutable", kv_namespace),
        lambda body: core.replace_namespaced_config_map("immutable", kv_namespace, body),
        "data",
        "value-5",
    )
    core.delete_namespaced_config_map("immutable", kv_namespace)


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@standard_base(
    id="node/secret-api",
    conformance=[
        f"{NODE} Secrets should patch a secret [Conformance]",
        f"{NODE} Secrets should fail to create secret due to empty secret key [Conformance]",
    ],
    timeout=15,
)
def test_secret_api(kube: Kube, kv_namespace: str) -> None:
    """Secrets are created, found across namespaces, patched (a larger resourceVersion, the new
    value read back) and deleted by collection; one with an empty key is refused.
    """
    core, tag = kube.core, secrets.token_hex(4)
    created = core.create_namespaced_secret(
        kv_namespace,
        {
            "metadata": b.metadata("test-secret", {"testsecret-constant": tag}),
            "type": "Opaque",
            "data": {"key": _encoded("value")},
        },
    )
    found = core.list_secret_for_all_namespaces(label_selector=f"testsecret-constant={tag}")
    assert [(s.metadata.namespace, s.metadata.name) for s in found.items] == [
        (kv_namespace, "test-secret")
    ], "the Secret is not listed across namespaces"
    core.patch_namespaced_secret(
        "test-secret",
        kv_namespace,
        {"metadata": {"labels": {"testsecret": "true"}}, "data": {"key": _encoded("value1")}},
    )
    read = core.read_namespaced_secret("test-secret", kv_namespace)
    assert int(read.metadata.resource_version) > int(created.metadata.resource_version), (
        "the patched Secret has no larger resource version"
    )
    value = base64.b64decode((read.data or {}).get("key", "")).decode()
    assert value == "value1", "the patched Secret does not hold the patched value"
    core.delete_collection_namespaced_secret(kv_namespace, label_selector="testsecret=true")
    wait_for(
        "the patched Secret to be deleted by collection",
        lambda: (
            not (
                core.list_secret_for_all_namespaces(
                    label_selector=f"testsecret-constant={tag}"
                ).items
            )
        ),
        10,
    )
    empty = refused(
        "a Secret with an empty key",
        lambda: core.create_namespaced_secret(
            kv_namespace, {"metadata": {"name": "secret-empty-key"}, "data": {"": _encoded("v")}}
        ),
    )
    assert empty.status == 422, f"an empty key: expected 422, got {empty.status}"


@standard_base(
    id="storage/secret-immutable",
    conformance=[
        f"{STORAGE} Secrets should be immutable if `immutable` field is set [Conformance]"
    ],
    timeout=15,
)
def test_secret_immutable(kube: Kube, kv_namespace: str) -> None:
    """A Secret's data changes until it is marked immutable; then its data cannot change and it
    cannot be made mutable again (422), while its labels still can.
    """
    core = kube.core
    core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": "immutable"}, "data": {"data-1": _encoded("value-1")}}
    )
    current = core.read_namespaced_secret("immutable", kv_namespace)
    current.data["data-4"] = _encoded("value-4")
    core.replace_namespaced_secret("immutable", kv_namespace, current)
    _check_immutable(
        "Secret",
        lambda: core.read_namespaced_secret("immutable", kv_namespace),
        lambda body: core.replace_namespaced_secret("immutable", kv_namespace, body),
        "data",
        _encoded("value-5"),
    )
    core.delete_namespaced_secret("immutable", kv_namespace)
