"""PodCertificateRequests through every verb upstream's generic resource test puts them through.

Upstream (test/e2e/framework/conformance TestResource) creates a request, reads, updates and
updates the status of it, then for each kind of patch (strategic merge, apply, JSON merge, JSON
patch) recreates it and patches its labels, then for each kind again recreates it and patches its
status to issued; it lists it in its namespace and across namespaces and deletes it by collection.
Throughout, a watch on the label the test gives it must show the events in order (an ADDED per
creation, MODIFIED per change, DELETED per deletion) with resource versions that never go back.
The issued status carries a certificate for the request's own key, so the API server's
validation of an issued request is exercised too.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.standard_base.apiops import ClusterResource, Scoped, check_discovery
from conformance.standard_base.kube import EventStream, Kube, gone, server_said, wait_for
from conformance.standard_base.marker import standard_base

PCR = ClusterResource(
    "certificates.k8s.io", "v1", "podcertificaterequests", "PodCertificateRequest"
)
LABEL = "test.podcertificaterequest.example.com"
TEST_LABEL = "e2e-test.kubernetes.io"
PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
}
GONE_WAIT_S = 10
Manifest = dict[str, Any]


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Issued:
    """A key's stub PKCS#10 request and a certificate for the same key: what a signer issues."""

    csr_b64: str
    status: Manifest

    @classmethod
    def make(cls) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
        csr_der = csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        not_before = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        not_after = not_before + timedelta(hours=1)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e.example.com")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        status = {
            "certificateChain": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "notBefore": _time(not_before),
            "notAfter": _time(not_after),
            "beginRefreshAt": _time(not_before + timedelta(minutes=15)),
            "conditions": [
                {
                    "type": "Issued",
                    "status": "True",
                    "reason": "E2E",
                    "message": "Issued by E2E test",
                    "lastTransitionTime": _time(datetime.now(UTC)),
                }
            ],
        }
        return cls(base64.b64encode(csr_der).decode(), status)


class Events:
    """The label-selected watch: each step's events must come in upstream's order."""

    def __init__(self, stream: EventStream, name: str) -> None:
        self.stream, self.name, self.version = stream, name, 0

    def through(self, kind: str, step: str) -> None:
        """Read events up to ``kind`` for our object; anything before it may only be MODIFIED."""
        while True:
            event = self.stream.next()
            assert event is not None, f"after {step}: the watch ended before a {kind} event"
            meta = event["object"].get("metadata", {})
            assert meta.get("name") == self.name, f"after {step}: an event for another object"
            version = int(meta.get("resourceVersion", "0"))
            assert version >= self.version, f"after {step}: a resource version went back"
            self.version = version
            if event["type"] == kind:
                return
            assert event["type"] == "MODIFIED", (
                f"after {step}: a {event['type']} event where {kind} was due"
            )


@dataclass
class Exercise:
    kube: Kube
    namespace: str
    name: str
    labels: dict[str, str]
    issued: Issued
    signer: str

    @property
    def api(self) -> Scoped:
        return Scoped(self.kube.custom, PCR, self.namespace)

    @property
    def path(self) -> str:
        return f"/apis/{PCR.group_version}/namespaces/{self.namespace}/{PCR.plural}/{self.name}"

    def initial(self) -> Manifest:
        return {
            "apiVersion": PCR.group_version,
            "kind": PCR.kind,
            "metadata": {"name": self.name, "labels": dict(self.labels)},
            "spec": {
                "signerName": self.signer,
                "podName": "test-pod",
                "podUID": "12345678-1234-1234-1234-123456789012",
                "serviceAccountName": "default",
                "serviceAccountUID": "12345678-1234-1234-1234-123456789013",
                "nodeName": "test-node",
                "nodeUID": "12345678-1234-1234-1234-123456789014",
                "maxExpirationSeconds": 86400,
                "stubPKCS10Request": self.issued.csr_b64,
            },
        }

    def create(self, events: Events) -> Manifest:
        created = self.api.create(self.initial())
        events.through("ADDED", "create")
        return created

    def delete(self, events: Events) -> None:
        self.api.delete(self.name)
        wait_for(f"{self.name} to be deleted", lambda: gone(lambda: self.api.get(self.name)), 10)
        events.through("DELETED", "delete")

    def labelled(self, events: Events) -> Manifest:
        current = self.api.get(self.name)
        current["metadata"]["labels"][LABEL] = "test"
        updated = self.api.replace(self.name, current)
        _has_label(updated, "update")
        events.through("MODIFIED", "update")
        return updated

    def patch(self, kind: str, body: Any, subresource: str = "") -> Manifest:
        query = [("fieldValidation", "Strict")]
        if kind == "apply":
            query += [("fieldManager", "test-apply"), ("force", "true")]
        answer = self.kube.raw(
            "PATCH",
            self.path + subresource,
            body=json.dumps(body).encode(),
            headers={"Content-Type": PATCH_TYPES[kind], "Accept": "application/json"},
            query=query,
        )
        assert answer.status == 200, (
            f"a {kind} patch{subresource}: HTTP {answer.status}: {server_said(answer.body)}"
        )
        patched: Manifest = answer.json()
        return patched

    def whole(self, fields: Manifest) -> Manifest:
        """A patch object as upstream sends it: the fields, under the object's own identity."""
        current = self.api.get(self.name)
        meta = {**fields.get("metadata", {}), "name": self.name, "namespace": self.namespace}
        meta["uid"] = current["metadata"]["uid"]
        return {**fields, "apiVersion": PCR.group_version, "kind": PCR.kind, "metadata": meta}


def _has_label(obj: Manifest, step: str) -> None:
    assert (obj["metadata"].get("labels") or {}).get(LABEL) == "test", (
        f"after {step}: the label is missing"
    )


def _is_issued(obj: Manifest, step: str) -> None:
    types = [c.get("type") for c in (obj.get("status") or {}).get("conditions") or []]
    assert "Issued" in types, f"after {step}: the status has no Issued condition: {types}"
    assert (obj.get("status") or {}).get("certificateChain"), f"after {step}: no certificate"


@standard_base(
    id="auth/podcertificaterequest-api",
    conformance=[
        "[sig-auth] PodCertificateRequest API [Privileged:ClusterAdmin] should support "
        "PodCertificateRequest API operations [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
    since="1.37",
)
def test_podcertificaterequest_api(kube: Kube, kv_namespace: str) -> None:
    """PodCertificateRequests are discovered, created, read, updated, issued through /status,
    patched four ways in their labels and four ways in their status, listed in their namespace
    and across namespaces and deleted by collection, each step seen in order by a watch.
    """
    check_discovery(kube, PCR)
    tag = secrets.token_hex(6)
    selector = f"{TEST_LABEL}={tag}"
    ex = Exercise(
        kube,
        kv_namespace,
        f"e2e-example-pcr-{tag}",
        {TEST_LABEL: tag},
        Issued.make(),
        f"example.com/e2e-{tag}",
    )
    everywhere = kube.custom.list_cluster_custom_object
    with kube.events(
        everywhere, PCR.group, PCR.version, PCR.plural, label_selector=selector, timeout=12
    ) as stream:
        events = Events(stream, ex.name)
        created = ex.create(events)
        read = ex.api.get(ex.name)
        assert read["metadata"]["uid"] == created["metadata"]["uid"], "get returned another one"
        updated = ex.labelled(events)
        assert int(updated["metadata"]["resourceVersion"]) > int(
            created["metadata"]["resourceVersion"]
        ), "the update did not raise the resource version"
        current = ex.api.get(ex.name)
        current["status"] = ex.issued.status
        _is_issued(ex.api.replace_status(ex.name, current), "the status update")
        events.through("MODIFIED", "the status update")
        _is_issued(ex.api.get_status(ex.name), "a read of /status")
        _patch_labels(ex, events)
        _patch_status(ex, events)
        _lists(ex, selector)
        ex.api.delete_collection(selector)
        wait_for("the collection to be deleted", lambda: gone(lambda: ex.api.get(ex.name)), 10)
        events.through("DELETED", "the delete by collection")


def _patch_labels(ex: Exercise, events: Events) -> None:
    spec_patch: Manifest = {"metadata": {"labels": {LABEL: "test"}}}
    for kind in PATCH_TYPES:
        ex.delete(events)
        ex.create(events)
        body: Any = ex.whole(spec_patch)
        if kind == "json":
            body = [
                {
                    "op": "add",
                    "path": f"/metadata/labels/{LABEL.replace('/', '~1')}",
                    "value": "test",
                }
            ]
        _has_label(ex.patch(kind, body), f"a {kind} patch")
        events.through("MODIFIED", f"a {kind} patch")


def _patch_status(ex: Exercise, events: Events) -> None:
    for kind in PATCH_TYPES:
        ex.delete(events)
        ex.create(events)
        ex.labelled(events)
        body: Any = ex.whole({"status": ex.issued.status})
        if kind == "json":
            body = [
                {"op": "add", "path": f"/status/{field}", "value": value}
                for field, value in ex.issued.status.items()
            ]
        _is_issued(ex.patch(kind, body, "/status"), f"a {kind} patch of /status")
        events.through("MODIFIED", f"a {kind} patch of /status")


def _lists(ex: Exercise, selector: str) -> None:
    here = ex.api.list(label_selector=selector)["items"]
    assert [i["metadata"]["name"] for i in here] == [ex.name], (
        f"{len(here)} requests listed in the namespace by label, not 1"
    )
    everywhere = ex.kube.custom.list_cluster_custom_object(
        PCR.group, PCR.version, PCR.plural, label_selector=selector
    )["items"]
    assert [i["metadata"]["name"] for i in everywhere] == [ex.name], (
        f"{len(everywhere)} requests listed across namespaces by label, not 1"
    )
