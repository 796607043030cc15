"""auth: RBAC allows and denies, what anonymous may do, service-account tokens, CSRs.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
from pathlib import Path
from typing import Any

import urllib3
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base import pki
from conformance.standard_base.apiops import ClusterResource, check_discovery, rv
from conformance.standard_base.kube import Impersonation, Kube, refused, server_said, wait_for
from conformance.standard_base.kubeadm import root_ca
from conformance.standard_base.marker import standard_base
from kubeadm_verify.access import rawhttp

SIG = "[sig-auth]"
ANONYMOUS = Impersonation("system:anonymous", ("system:unauthenticated",))


def _sa_identity(namespace: str, sa: Any) -> Impersonation:
    groups = (
        "system:authenticated",
        "system:serviceaccounts",
        f"system:serviceaccounts:{namespace}",
    )
    return Impersonation(
        f"system:serviceaccount:{namespace}:{sa.metadata.name}", groups, str(sa.metadata.uid)
    )


def _sar(
    kube: Kube,
    who: Impersonation,
    namespace: str | None,
    verb: str,
    resource: str,
    name: str = "",
    group: str = "",
) -> bool:
    attributes = {"verb": verb, "resource": resource, "group": group, "version": "v1"}
    if namespace:
        attributes["namespace"] = namespace
    if name:
        attributes["name"] = name
    spec: dict[str, Any] = {
        "resourceAttributes": attributes,
        "user": who.user,
        "groups": list(who.groups),
    }
    if who.uid:
        spec["uid"] = who.uid
    review = kube.authz.create_subject_access_review({"spec": spec})
    return bool(review.status.allowed)


@standard_base(
    id="auth/subject-access-review",
    conformance=[f"{SIG} SubjectReview should support SubjectReview API operations [Conformance]"],
    needs=["cluster-admin"],
    timeout=30,
)
def test_subject_access_review(kube: Kube, kv_namespace: str) -> None:
    """A SubjectAccessReview (and its namespaced form) answers what the authorizer actually does
    for that user.
    """
    sa = kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": "e2e"}})
    who = _sa_identity(kv_namespace, sa)
    expected = _sar(kube, who, kv_namespace, "list", "configmaps")
    response = kube.raw("GET", f"/api/v1/namespaces/{kv_namespace}/configmaps", impersonate=who)
    assert response.status in (200, 403), f"impersonated list: HTTP {response.status}"
    actually = response.status == 200
    assert actually == expected, (
        f"SubjectAccessReview says allowed={expected}, the request was allowed={actually}"
    )
    local = kube.authz.create_namespaced_local_subject_access_review(
        kv_namespace,
        {
            "metadata": {"namespace": kv_namespace},
            "spec": {
                "resourceAttributes": {
                    "verb": "list",
                    "resource": "configmaps",
                    "namespace": kv_namespace,
                    "version": "v1",
                },
                "user": "e2e",
                "groups": list(who.groups),
                "uid": who.uid,
            },
        },
    )
    assert bool(local.status.allowed) == actually, (
        f"LocalSubjectAccessReview says allowed={local.status.allowed}, the request {actually}"
    )


@standard_base(id="auth/self-subject-review", timeout=20)
def test_self_subject_review(kube: Kube) -> None:
    """The current user is authenticated, may create namespaces, and SelfSubjectRulesReview lists
    its rules.
    """
    review = kube.authn.create_self_subject_review({})
    info = review.status.user_info
    assert info.username, "SelfSubjectReview returned no user name"
    assert "system:authenticated" in (info.groups or []), (
        f"{info.username} is not in system:authenticated: {info.groups}"
    )
    access = kube.authz.create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "create", "resource": "namespaces"}}}
    )
    assert access.status.allowed, f"{info.username} may not create namespaces"
    rules = kube.authz.create_self_subject_rules_review({"spec": {"namespace": "default"}})
    assert rules.status.resource_rules, "SelfSubjectRulesReview lists no rules"


@standard_base(id="auth/rbac-allow-deny", needs=["cluster-admin"], timeout=30)
def test_rbac_allow_deny(kube: Kube, kv_namespace: str) -> None:
    """A RoleBinding grants exactly its Role's rules: what it grants is allowed, everything else is
    denied (403).
    """
    sa = kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": "reader"}})
    kube.rbac.create_namespaced_role(
        kv_namespace,
        {
            "metadata": {"name": "configmap-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        },
    )
    kube.rbac.create_namespaced_role_binding(
        kv_namespace,
        {
            "metadata": {"name": "reader-reads"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "configmap-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": kv_namespace}],
        },
    )
    who = _sa_identity(kv_namespace, sa)
    wait_for(
        "the RoleBinding to take effect",
        lambda: _sar(kube, who, kv_namespace, "list", "configmaps"),
        15,
    )
    denied = [
        (kv_namespace, "delete", "configmaps"),
        (kv_namespace, "list", "secrets"),
        ("kube-system", "list", "configmaps"),
        (None, "list", "nodes"),
        (None, "create", "namespaces"),
    ]
    allowed_wrongly = [d for d in denied if _sar(kube, who, d[0], d[1], d[2])]
    assert not allowed_wrongly, f"RBAC allows what no rule grants: {allowed_wrongly}"
    listed = kube.raw("GET", f"/api/v1/namespaces/{kv_namespace}/configmaps", impersonate=who)
    assert listed.status == 200, f"the granted list was refused: HTTP {listed.status}"
    ungranted = kube.raw("GET", f"/api/v1/namespaces/{kv_namespace}/secrets", impersonate=who)
    assert ungranted.status == 403, f"an ungranted list answered HTTP {ungranted.status}, not 403"


KUBEADM_ANONYMOUS_GRANTS = [("kube-public", "get", "configmaps", "cluster-info")]
ANONYMOUS_DENIED = [
    ("kube-system", "list", "secrets", ""),
    ("kube-public", "list", "configmaps", ""),
    ("default", "create", "pods", ""),
    (None, "list", "namespaces", ""),
    (None, "get", "nodes", ""),
    ("kube-system", "get", "configmaps", "kubeadm-config"),
]


@standard_base(id="auth/anonymous-limited", needs=["cluster-admin"], timeout=30)
def test_anonymous_limited(kube: Kube) -> None:
    """Anonymous may read cluster-info (kubeadm's grant) and the public info, nothing else."""
    allowed = [g for g in ANONYMOUS_DENIED if _sar(kube, ANONYMOUS, g[0], g[1], g[2], g[3])]
    assert not allowed, f"anonymous is allowed more than kubeadm grants: {allowed}"
    for namespace, verb, resource, name in KUBEADM_ANONYMOUS_GRANTS:
        assert _sar(kube, ANONYMOUS, namespace, verb, resource, name), (
            f"anonymous may not {verb} {resource}/{name} in {namespace}"
        )
    response = kube.raw("GET", "/api/v1/namespaces/kube-system/secrets", authenticate=False)
    assert response.status in (401, 403), (
        f"an anonymous request for kube-system's secrets answered HTTP {response.status}"
    )


@standard_base(
    id="auth/token-request-review",
    conformance=[
        f"{SIG} ServiceAccounts should create a serviceAccountToken and ensure a successful "
        "TokenReview [Conformance]"
    ],
    timeout=30,
)
def test_token_request_review(kube: Kube, kv_namespace: str) -> None:
    """A ServiceAccount gets a token through TokenRequest that TokenReview authenticates as that
    account; a forged one fails.
    """
    name = b.unique("e2e-sa")
    kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": name}})
    token = kube.core.create_namespaced_service_account_token(
        name, kv_namespace, {"spec": {"expirationSeconds": 600}}
    ).status.token
    assert token, "the TokenRequest returned no token"
    review = kube.authn.create_token_review({"spec": {"token": token}})
    assert review.status.authenticated, f"the token does not authenticate: {review.status.error}"
    assert not review.status.error, f"TokenReview error: {review.status.error}"
    user = review.status.user.username
    assert user == f"system:serviceaccount:{kv_namespace}:{name}", f"authenticated as {user}"
    forged = kube.authn.create_token_review({"spec": {"token": token[:-4] + "AAAA"}})
    assert not forged.status.authenticated, "a token with a forged signature authenticates"


@standard_base(
    id="auth/kube-root-ca",
    conformance=[
        f"{SIG} ServiceAccounts should guarantee kube-root-ca.crt exist in any namespace "
        "[Conformance]"
    ],
    timeout=60,
)
def test_kube_root_ca(kube: Kube, kv_namespace: str) -> None:
    """Every namespace gets kube-root-ca.crt with the cluster CA, and it is recreated when
    deleted."""
    core, name = kube.core, "kube-root-ca.crt"

    def published() -> bool:
        try:
            data = core.read_namespaced_config_map(name, kv_namespace).data or {}
        except client.ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return bool(data.get("ca.crt"))

    wait_for(f"{name} in a new namespace", published, 30)
    core.delete_namespaced_config_map(name, kv_namespace, grace_period_seconds=0)
    wait_for(f"{name} to be recreated", published, 30)
    core.replace_namespaced_config_map(
        name, kv_namespace, {"metadata": {"name": name}, "data": {"ca.crt": ""}}
    )
    wait_for(f"{name} to be reconciled", published, 30)
    certs = pki.load_pem_certs(
        core.read_namespaced_config_map(name, kv_namespace).data["ca.crt"].encode()
    )
    assert certs, f"{name} holds no certificate"


def _csr_template(
    signer: str, labels: dict[str, str], request: bytes, usages: list[str]
) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"generateName": "e2e-example-csr-", "labels": labels},
        "spec": {
            "request": base64.b64encode(request).decode(),
            "signerName": signer,
            "expirationSeconds": 3600,
            "usages": usages,
        },
    }


CSRS = ClusterResource(
    "certificates.k8s.io",
    "v1",
    "certificatesigningrequests",
    "CertificateSigningRequest",
    ("approval", "status"),
)


@standard_base(
    id="auth/csr-api",
    conformance=[
        f"{SIG} Certificates API [Privileged:ClusterAdmin] should support CSR API operations "
        "[Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=60,
)
def test_csr_api(kube: Kube, run_id: str) -> None:
    """The CertificateSigningRequest API supports every operation, the approval and status
    subresources included.
    """
    check_discovery(kube, CSRS)
    api = kube.custom
    args = (CSRS.group, CSRS.version, CSRS.plural)
    signer = f"example.com/e2e-{secrets.token_hex(4)}"
    selector = f"spec.signerName={signer}"
    template = _csr_template(
        signer,
        b.run_labels(run_id),
        pki.csr_pem(pki.new_key(), "e2e.example.com", dns_names=("e2e.example.com",)),
        ["digital signature", "key encipherment", "server auth"],
    )
    try:
        created = [api.create_cluster_custom_object(*args, template) for _ in range(3)][-1]
        _csr_operations(kube, created, selector)
    finally:
        kube.certificates.delete_collection_certificate_signing_request(field_selector=selector)


def _csr_operations(kube: Kube, created: dict[str, Any], selector: str) -> None:
    api, args = kube.custom, (CSRS.group, CSRS.version, CSRS.plural)
    name = created["metadata"]["name"]
    got = api.get_cluster_custom_object(*args, name)
    assert got["metadata"]["uid"] == created["metadata"]["uid"], (
        "the read object is not the created one (its uid differs)"
    )
    assert got["spec"]["expirationSeconds"] == 3600, (
        "the object does not keep expirationSeconds 3600"
    )
    rv(got)
    listed = api.list_cluster_custom_object(*args, field_selector=selector)
    assert len(listed["items"]) == 3, f"the filtered list has {len(listed['items'])} items"
    with kube.events(
        api.list_cluster_custom_object,
        *args,
        timeout=30,
        resource_version=listed["metadata"]["resourceVersion"],
        field_selector=f"metadata.name={name}",
    ) as watch:
        patched = api.patch_cluster_custom_object(
            *args, name, {"metadata": {"annotations": {"patched": "true"}}}
        )
        assert patched["metadata"]["annotations"]["patched"] == "true", (
            "the patch did not add its annotation"
        )
        assert rv(patched) > rv(got), "the patch did not raise the resource version"
        changed = copy.deepcopy(patched)
        changed["metadata"]["annotations"]["updated"] = "true"
        updated = api.replace_cluster_custom_object(*args, name, changed)
        assert updated["metadata"]["annotations"]["updated"] == "true", (
            "the update did not add its annotation"
        )
        while True:
            event = watch.next()
            assert event is not None, "the watch ended before showing the patched CSR"
            assert event["type"] == "MODIFIED", f"unexpected {event['type']} event"
            if event["object"]["metadata"].get("annotations", {}).get("patched") == "true":
                break
    _csr_approval_and_status(kube, name, created["metadata"]["uid"])
    api.delete_cluster_custom_object(*args, name)
    missing = refused("a get after delete", lambda: api.get_cluster_custom_object(*args, name))
    assert missing.status == 404, f"get after delete: expected 404, got {missing.status}"
    assert len(api.list_cluster_custom_object(*args, field_selector=selector)["items"]) == 2, (
        "the field-selected list does not hold the 2 objects created"
    )
    kube.certificates.delete_collection_certificate_signing_request(field_selector=selector)
    assert api.list_cluster_custom_object(*args, field_selector=selector)["items"] == [], (
        "the deleted collection is still listed"
    )


def _subresource(
    kube: Kube, name: str, sub: str, method: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    path = f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/{sub}"
    content = "application/merge-patch+json" if method == "PATCH" else "application/json"
    response = kube.raw(
        method,
        path,
        body=json.dumps(body).encode() if body else None,
        headers={"Content-Type": content, "Accept": "application/json"},
    )
    assert response.status == 200, (
        f"{method} {sub}: HTTP {response.status}: {server_said(response.body)}"
    )
    result: dict[str, Any] = response.json()
    return result


def _csr_approval_and_status(kube: Kube, name: str, uid: str) -> None:
    approval = _subresource(kube, name, "approval", "GET")
    assert approval["kind"] == "CertificateSigningRequest" and approval["metadata"]["uid"] == uid, (
        "/approval returned another object"
    )
    patched = _subresource(
        kube,
        name,
        "approval",
        "PATCH",
        {
            "metadata": {"annotations": {"patchedapproval": "true"}},
            "status": {
                "conditions": [{"type": "ApprovalPatch", "status": "True", "reason": "e2e"}]
            },
        },
    )
    assert [c["type"] for c in patched["status"]["conditions"]] == ["ApprovalPatch"], (
        "the approval patch did not set its condition"
    )
    assert patched["metadata"]["annotations"]["patchedapproval"] == "true", (
        "the approval patch did not add its annotation"
    )
    patched["status"]["conditions"].append(
        {"type": "Approved", "status": "True", "reason": "E2E", "message": "kubeadm-verify"}
    )
    updated = _subresource(kube, name, "approval", "PUT", patched)
    assert [c["type"] for c in updated["status"]["conditions"]] == ["ApprovalPatch", "Approved"], (
        "the approval update did not add the Approved condition"
    )
    status = _subresource(kube, name, "status", "GET")
    assert status["kind"] == "CertificateSigningRequest" and status["metadata"]["uid"] == uid, (
        "/status returned another object"
    )
    certificate = pki.self_signed_pem("e2e.example.com")
    encoded = base64.b64encode(certificate).decode()
    patched = _subresource(
        kube,
        name,
        "status",
        "PATCH",
        {
            "metadata": {"annotations": {"patchedstatus": "true"}},
            "status": {"certificate": encoded},
        },
    )
    assert patched["status"]["certificate"] == encoded, (
        "the status patch did not store the certificate"
    )
    assert patched["metadata"]["annotations"]["patchedstatus"] == "true", (
        "the status patch did not add its annotation"
    )
    patched["status"]["conditions"].append(
        {"type": "StatusUpdate", "status": "True", "reason": "E2E", "message": "kubeadm-verify"}
    )
    updated = _subresource(kube, name, "status", "PUT", patched)
    assert updated["status"]["conditions"][-1]["type"] == "StatusUpdate", (
        "the status update did not add its condition"
    )


@standard_base(id="auth/csr-signing", needs=["cluster-admin"], timeout=60)
def test_csr_signing(kube: Kube, run_id: str, kv_namespace: str, tmp_path: Path) -> None:
    """An approved client CSR is signed by the cluster CA, and the certificate authenticates."""
    key = pki.new_key()
    user = b.unique("kubeadm-verify-user")
    request = pki.csr_pem(key, user, organisation="kubeadm-verify:testers")
    body = _csr_template(
        "kubernetes.io/kube-apiserver-client", b.run_labels(run_id), request, ["client auth"]
    )
    body["metadata"] = {"name": user, "labels": b.run_labels(run_id)}
    body["spec"]["expirationSeconds"] = 600
    kube.certificates.create_certificate_signing_request(body)
    try:
        csr = kube.certificates.read_certificate_signing_request(user)
        csr.status.conditions = [
            client.V1CertificateSigningRequestCondition(
                type="Approved", status="True", reason="KubeadmVerify", message="approved by a test"
            )
        ]
        kube.certificates.replace_certificate_signing_request_approval(user, csr)
        issued = wait_for(
            "the controller-manager to sign the approved CSR",
            lambda: kube.certificates.read_certificate_signing_request(user).status.certificate,
            30,
        )
        cert = pki.load_pem_certs(base64.b64decode(issued))[0]
        ca_pem = root_ca(kube, kv_namespace)
        _issued_by_cluster_ca(cert, ca_pem, user)
        _authenticates(kube, tmp_path, cert, pki.key_pem(key), ca_pem, user)
    finally:
        kube.certificates.delete_certificate_signing_request(user)


def _issued_by_cluster_ca(cert: x509.Certificate, ca_pem: bytes, user: str) -> None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [n.value for n in names] == [user], f"the certificate is for {cert.subject}"
    cas = pki.load_pem_certs(ca_pem)
    signers = []
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            signers.append(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue  # not this CA; a bundle may hold several
    assert signers, (
        f"the certificate (issuer {cert.issuer.rfc4514_string()}) is not signed "
        "by the cluster CA in kube-root-ca.crt"
    )


def _authenticates(
    kube: Kube, folder: Path, cert: x509.Certificate, key: bytes, ca_pem: bytes, user: str
) -> None:
    cert_file, key_file, ca_file = folder / "client.crt", folder / "client.key", folder / "ca.crt"
    cert_file.write_bytes(cert.public_bytes(Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key)
    server_ca = Path(kube.api_client.configuration.ssl_ca_cert or "")
    ca_file.write_bytes(server_ca.read_bytes() if server_ca.is_file() else ca_pem)
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(ca_file),
        cert_file=str(cert_file),
        key_file=str(key_file),
    )
    response = rawhttp.request(  # one deadline over the exchange, the answer capped
        pool,
        "POST",
        f"{kube.host}/apis/authentication.k8s.io/v1/selfsubjectreviews",
        body=b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
        headers={"Content-Type": "application/json"},
        deadline_s=10.0,
    )
    assert response.status == 201, (
        f"the issued certificate does not authenticate: HTTP {response.status}"
    )
    info = json.loads(response.data)["status"]["userInfo"]
    assert info["username"] == user, f"the certificate authenticates as {info['username']}"
    assert "kubeadm-verify:testers" in info.get("groups", []), f"groups: {info.get('groups')}"
