"""api-machinery: admission webhooks served from a pod on a real node, called by the API server.

agnhost's ``webhook`` server runs in the test's namespace behind a Service, with a serving
certificate the test made (:mod:`conformance.standard_base.webhookserver`). Every webhook is scoped
to namespaces carrying a label unique to the test, so nothing else on the cluster passes through
it; the configurations carry the run label and are deleted afterwards (the cleanup finds them too).

A configuration is not in force the moment it is created: the API server picks it up from its
informer. As upstream does, each configuration carries a fail-open "marker" webhook that denies
every ConfigMap with a marker label, and the test creates markers until one is denied.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, refused, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.webhookserver import WebhookServer, serve, start, wait_ready

SIG = "[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin]"
DISALLOWED = {"webhook-e2e-test": "webhook-disallow"}
SKIP_LABEL = "skip-webhook-admission"
HANG_TIMEOUT_S = 3
"""The deny-pods webhook's own timeoutSeconds: a hanging webhook is cut off by the API server
after this long (upstream keeps the 10 s default; the behaviour is the same, sooner)."""
READY_S = 15.0


def _message(exc: client.ApiException) -> str:
    """The API server's whole Status message (a webhook's reasons, in full)."""
    try:
        return str(json.loads(exc.body or b"{}").get("message", ""))
    except ValueError:
        return ""


def _rule(resource: str, *operations: str) -> list[dict[str, Any]]:
    return [
        {
            "operations": list(operations),
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "resources": [resource],
        }
    ]


def _hook(name: str, config: dict[str, object], rules: list[dict[str, Any]], **extra: Any) -> Any:
    return {
        "name": name,
        "rules": rules,
        "clientConfig": config,
        "sideEffects": "None",
        "admissionReviewVersions": ["v1", "v1beta1"],
        **extra,
    }


def _marker_hook(server: WebhookServer, scope: str, marker: str) -> Any:
    """Denies every ConfigMap labelled ``marker`` (fail-open while the route is not there)."""
    return _hook(
        f"is-ready-{marker}.kubeadm-verify.io",
        server.client_config("/always-deny"),
        _rule("configmaps", "CREATE"),
        failurePolicy="Ignore",
        namespaceSelector={"matchLabels": {scope: "true"}},
        objectSelector={"matchLabels": {marker: "true"}},
    )


@contextmanager
def _configuration(
    kube: Kube, kind: str, hooks: list[Any], run_id: str, namespace: str, marker: str
) -> Iterator[None]:
    """A ``kind`` (Validating/Mutating) webhook configuration, in force once this yields."""
    api = client.AdmissionregistrationV1Api(kube.api_client)
    name = b.unique(f"kv-{kind.lower()}")
    body = {"metadata": b.metadata(name, b.run_labels(run_id)), "webhooks": hooks}
    create = getattr(api, f"create_{kind.lower()}_webhook_configuration")
    delete = getattr(api, f"delete_{kind.lower()}_webhook_configuration")
    create(body)
    try:
        wait_for(
            f"the {kind}WebhookConfiguration to be in force (a marker ConfigMap denied)",
            lambda: _marker_denied(kube, namespace, marker),
            READY_S,
        )
        yield
    finally:
        delete(name)


def _marker_denied(kube: Kube, namespace: str, marker: str) -> bool:
    body = {"metadata": {"generateName": "marker-", "labels": {marker: "true"}}}
    try:
        made = kube.core.create_namespaced_config_map(namespace, body)
    except client.ApiException as exc:
        said = _message(exc)
    else:
        kube.core.delete_namespaced_config_map(made.metadata.name, namespace)
        return False
    assert "denied" in said, f"a marker ConfigMap failed otherwise: {said}"
    return True


def _scope(kube: Kube, namespace: str) -> str:
    """Label the test's namespace with a key unique to this test; webhooks select on it."""
    key = f"{b.unique('kv-webhook')}.kubeadm-verify.io"
    kube.core.patch_namespace(namespace, {"metadata": {"labels": {key: "true"}}})
    return key


@standard_base(
    id="api-machinery/admission-webhooks",
    conformance=[
        f"{SIG} should be able to deny pod and configmap creation [Conformance]",
        f"{SIG} should mutate configmap [Conformance]",
    ],
    needs=["real-kubelet", "cluster-admin"],
    timeout=25,
)
def test_admission_webhooks(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A validating webhook denies a pod for its container name and its label (both reasons
    reach the client), a pod whose webhook call hangs (the deadline, and no pod), a ConfigMap
    with disallowed data, and an allowed ConfigMap updated (PUT, and PATCH) to that data; one that
    cannot be reached and fails open lets the rest through; a namespace its selector excludes is
    not judged. Two mutating webhooks, called in order, each add their key to a ConfigMap."""
    server = serve(kube, kv_namespace, "e2e-test-webhook", "webhook")
    scope = _scope(kube, kv_namespace)
    in_scope = {"matchLabels": {scope: "true"}}
    fail_open = server.client_config("/configmaps")
    del fail_open["caBundle"]  # no CA: every call fails the TLS handshake
    validating = [
        _hook(
            "deny-unwanted-pod-container-name-and-label.k8s.io",
            server.client_config("/pods"),
            _rule("pods", "CREATE"),
            namespaceSelector=in_scope,
            timeoutSeconds=HANG_TIMEOUT_S,
        ),
        _hook(
            "deny-unwanted-configmap-data.k8s.io",
            server.client_config("/configmaps"),
            _rule("configmaps", "CREATE", "UPDATE", "DELETE"),
            namespaceSelector={
                **in_scope,
                "matchExpressions": [{"key": SKIP_LABEL, "operator": "NotIn", "values": ["yes"]}],
            },
        ),
        _hook(
            "fail-open.k8s.io",
            fail_open,
            _rule("configmaps", "CREATE"),
            failurePolicy="Ignore",
            namespaceSelector=in_scope,
        ),
        _marker_hook(server, scope, "validating-marker"),
    ]
    with _configuration(kube, "Validating", validating, run_id, kv_namespace, "validating-marker"):
        _denies(kube, kv_namespace, scope, run_id)
    mutating = [
        _hook(
            f"adding-configmap-data-stage-{stage}.k8s.io",
            server.client_config("/mutating-configmaps"),
            _rule("configmaps", "CREATE"),
            namespaceSelector=in_scope,
        )
        for stage in (1, 2)
    ]
    mutating.append(_marker_hook(server, scope, "mutating-marker"))
    with _configuration(kube, "Mutating", mutating, run_id, kv_namespace, "mutating-marker"):
        made = kube.core.create_namespaced_config_map(
            kv_namespace, {"metadata": {"name": "to-be-mutated"}, "data": {"mutation-start": "yes"}}
        )
        want = {"mutation-start": "yes", "mutation-stage-1": "yes", "mutation-stage-2": "yes"}
        keys = sorted(made.data or {})
        assert made.data == want, f"the mutating webhooks left the keys {keys}, not {sorted(want)}"


def _denies(kube: Kube, namespace: str, scope: str, run_id: str) -> None:
    core = kube.core
    pause = b.container("webhook-disallow")
    bad_pod = b.pod("disallowed-pod", {"webhook-e2e-test": "webhook-disallow"}, pause)
    said = _message(
        refused("a pod the webhook denies", lambda: core.create_namespaced_pod(namespace, bad_pod))
    )
    for reason in ("the pod contains unwanted container name", "the pod contains unwanted label"):
        assert reason in said, f"the pod's denial does not say {reason!r}: {said}"

    hanging = b.pod("hanging-pod", {"webhook-e2e-test": "wait-forever"}, b.container("wait"))
    said = _message(
        refused("a pod whose webhook hangs", lambda: core.create_namespaced_pod(namespace, hanging))
    )
    assert "webhook" in said and "deadline" in said, f"not a webhook deadline: {said}"
    found = [p.metadata.name for p in core.list_namespaced_pod(namespace).items]
    assert "hanging-pod" not in found, "the pod whose webhook timed out was created"

    denied = "the configmap contains unwanted key and value"
    bad = {"metadata": {"name": "disallowed-configmap"}, "data": DISALLOWED}
    said = _message(
        refused(
            "a ConfigMap with disallowed data",
            lambda: core.create_namespaced_config_map(namespace, bad),
        )
    )
    assert denied in said, f"the ConfigMap's denial does not say {denied!r}: {said}"

    allowed = core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "allowed-configmap"}, "data": {"admit": "this"}}
    )
    allowed.data = {**allowed.data, **DISALLOWED}
    said = _message(
        refused(
            "a PUT to disallowed data",
            lambda: core.replace_namespaced_config_map("allowed-configmap", namespace, allowed),
        )
    )
    assert denied in said, f"the PUT's denial does not say {denied!r}: {said}"
    said = _message(
        refused(
            "a PATCH to disallowed data",
            lambda: core.patch_namespaced_config_map(
                "allowed-configmap", namespace, {"data": DISALLOWED}
            ),
        )
    )
    assert denied in said, f"the PATCH's denial does not say {denied!r}: {said}"

    skipped = b.unique("webhook-skipped")
    labels = b.run_labels(run_id, **{scope: "true", SKIP_LABEL: "yes"})
    core.create_namespace({"metadata": b.metadata(skipped, labels)})
    try:
        core.create_namespaced_config_map(skipped, bad)  # the selector excludes it: admitted
    finally:
        core.delete_namespace(skipped)


CONVERSION = "[sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin]"
GROUP = "stable.example.com"
"""The one group agnhost's converter knows; each run's CRD has its own resource name in it."""
V1_SCHEMA = {"type": "object", "properties": {"hostPort": {"type": "string"}}}
V2_SCHEMA = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "port": {"type": "string"}},
}


def _versions(storage: str) -> list[dict[str, Any]]:
    return [
        {"name": v, "served": True, "storage": v == storage, "schema": {"openAPIV3Schema": s}}
        for v, s in (("v1", V1_SCHEMA), ("v2", V2_SCHEMA))
    ]


def _conversion_crd(plural: str, server: WebhookServer, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": b.metadata(f"{plural}.{GROUP}", b.run_labels(run_id)),
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": plural[:-1], "kind": _kind(plural)},
            "versions": _versions("v1"),
            "conversion": {
                "strategy": "Webhook",
                "webhook": {
                    "clientConfig": server.client_config("/crdconvert"),
                    "conversionReviewVersions": ["v1", "v1beta1"],
                },
            },
        },
    }


def _kind(plural: str) -> str:
    return "".join(part.capitalize() for part in plural[:-1].split("-"))


def _converted(item: dict[str, Any], group: str, version: str) -> list[str]:
    """What is wrong with ``item`` as ``version`` of the ``localhost:8080`` object."""
    wrong = []
    if item.get("apiVersion") != f"{group}/{version}":
        wrong.append(f"apiVersion {item.get('apiVersion')}")
    fields = sorted(k for k in ("hostPort", "host", "port") if k in item)
    want = ["hostPort"] if version == "v1" else ["host", "port"]
    if fields != want:
        wrong.append(f"fields {fields}, not {want}")
    elif version == "v1" and item["hostPort"] != "localhost:8080":
        wrong.append("hostPort is not localhost:8080")
    elif version == "v2" and (item["host"], item["port"]) != ("localhost", "8080"):
        wrong.append("host and port are not localhost and 8080")
    return wrong


@standard_base(
    id="api-machinery/crd-conversion-webhook",
    conformance=[
        f"{CONVERSION} should be able to convert from CR v1 to CR v2 [Conformance]",
        f"{CONVERSION} should be able to convert a non homogeneous list of CRs [Conformance]",
    ],
    needs=["real-kubelet", "cluster-admin"],
    timeout=21,
)
def test_crd_conversion_webhook(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A custom resource stored as v1 (``hostPort``) is read as v2 (``host`` and ``port``)
    through agnhost's conversion webhook; once v2 is the storage version, a list holding one
    object stored as v1 and one stored as v2 is given whole in either version."""
    server = start(kube, kv_namespace, "e2e-test-crd-conversion-webhook", "crd-conversion-webhook")
    plural = f"{b.unique('e2e-test-crd')}s"
    crd = _conversion_crd(plural, server, run_id)
    name = crd["metadata"]["name"]
    kube.extensions.create_custom_resource_definition(crd)
    try:
        wait_ready(kube, server)  # the CRD is established meanwhile
        _convert(kube, kv_namespace, plural, name)
    finally:
        kube.extensions.delete_custom_resource_definition(name)


def _once_served(call: Callable[[], Any]) -> Any:
    """``call``'s answer; a 429 while the API server re-initialises the resource's storage (as it
    does after the CRD's storage version changes) is a reason to ask again, as client-go does on
    the answer's Retry-After, and says so if the wait runs out."""
    try:
        return call()
    except client.ApiException as exc:
        if exc.status != 429:
            raise
        raise AssertionError(f"HTTP 429: {_message(exc)[:200]}") from None


def _convert(kube: Kube, namespace: str, plural: str, name: str) -> None:
    custom, group = kube.custom, GROUP

    def create(version: str, body: dict[str, Any]) -> Any:
        full = {"apiVersion": f"{group}/{version}", "kind": _kind(plural), **body}
        return custom.create_namespaced_custom_object(group, version, namespace, plural, full)

    def converts() -> bool:  # a v2 object stored as v1 needs the webhook
        try:
            create("v2", {"metadata": {"name": "stub"}})
        except client.ApiException as exc:
            raise AssertionError(f"HTTP {exc.status}: {_message(exc)[:200]}") from None
        custom.delete_namespaced_custom_object(group, "v2", namespace, plural, "stub")
        return True

    wait_for("the CRD to be served and its conversion webhook to answer", converts, 8)
    create("v1", {"metadata": {"name": "cr-instance-1"}, "hostPort": "localhost:8080"})
    read = custom.get_namespaced_custom_object(group, "v2", namespace, plural, "cr-instance-1")
    wrong = _converted(read, group, "v2")
    assert not wrong, f"cr-instance-1 read as v2: {'; '.join(wrong)}"

    stored = kube.extensions.read_custom_resource_definition(name)
    stored.spec.versions = _versions("v2")
    kube.extensions.replace_custom_resource_definition(name, stored)
    body = {"metadata": {"name": "cr-instance-2"}, "hostPort": "localhost:8080"}
    wait_for(
        "a v1 object to be created once v2 is stored",
        lambda: _once_served(lambda: create("v1", body)),
        5,
    )

    def listed_as(version: str) -> Any:
        return wait_for(
            f"the {version} list once the new storage serves it",
            lambda: _once_served(
                lambda: custom.list_namespaced_custom_object(group, version, namespace, plural)
            ),
            5,
        )

    for version in ("v1", "v2"):
        items = listed_as(version)["items"]
        names = sorted(i["metadata"]["name"] for i in items)
        assert names == ["cr-instance-1", "cr-instance-2"], f"the {version} list holds {names}"
        for item in items:
            wrong = _converted(item, group, version)
            assert not wrong, f"{item['metadata']['name']} listed as {version}: {'; '.join(wrong)}"
