"""kubeadm: what ``kubeadm init`` leaves behind, as test/e2e_kubeadm asserts it, and more.

cluster-info and its signatures, bootstrap tokens that authenticate with the right groups, the
bootstrap signer and token cleaner at work, kubeadm's RBAC, kubeadm-config and kubelet-config,
the CA pin, certificates, the CoreDNS and kube-proxy objects, and the cluster's subnets.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from kubernetes import client

from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, ca_cert_hash, verify_detached_signature
from conformance.standard_base import builders as b
from conformance.standard_base import kubeadm as k
from conformance.standard_base import pki
from conformance.standard_base.kube import Kube, gone, wait_for
from conformance.standard_base.marker import Record, standard_base
from conformance.standard_base.nodelist import list_nodes
from kubeadm_verify import yamlread
from kubeadm_verify.runner import WARNING_PROPERTY

CERT_WARN_DAYS = 30


def _cluster_info(kube: Kube) -> dict[str, str]:
    data: dict[str, str] = (
        kube.core.read_namespaced_config_map("cluster-info", k.KUBE_PUBLIC).data or {}
    )
    return data


def _cluster_info_ca(data: dict[str, str]) -> tuple[bytes, str]:
    """The CA and the server of cluster-info's kubeconfig (which must hold exactly one cluster)."""
    config = yamlread.load(data["kubeconfig"])
    clusters = config.get("clusters") or []
    assert len(clusters) == 1, f"cluster-info's kubeconfig holds {len(clusters)} clusters, not 1"
    cluster = clusters[0]["cluster"]
    assert cluster.get("server", "").startswith("https://"), f"server {cluster.get('server')}"
    ca = base64.b64decode(cluster["certificate-authority-data"])
    assert pki.load_pem_certs(ca), "cluster-info's certificate-authority-data holds no cert"
    return ca, str(cluster["server"])


def _role_rules_allow(role: Any, resource: str, name: str, verb: str = "get") -> bool:
    return any(
        resource in (rule.resources or [])
        and verb in (rule.verbs or [])
        and (not rule.resource_names or name in rule.resource_names)
        for rule in role.rules or []
    )


def _expect_role_pair(
    kube: Kube, namespace: str, name: str, resource: str, object_name: str
) -> Any:
    role = kube.rbac.read_namespaced_role(name, namespace)
    assert _role_rules_allow(role, resource, object_name), (
        f"Role {namespace}/{name} does not grant get on {resource}/{object_name}"
    )
    binding = kube.rbac.read_namespaced_role_binding(name, namespace)
    assert binding.role_ref.kind == "Role" and binding.role_ref.name == name, (
        f"RoleBinding {namespace}/{name} refers to {binding.role_ref.kind}/{binding.role_ref.name}"
    )
    return binding


def _group_may_get(kube: Kube, group: str, namespace: str, resource: str, name: str) -> bool:
    review = kube.authz.create_subject_access_review(
        {
            "spec": {
                "groups": [group],
                "user": "kubeadm-verify-probe",
                "resourceAttributes": {
                    "namespace": namespace,
                    "name": name,
                    "resource": resource,
                    "verb": "get",
                },
            }
        }
    )
    return bool(review.status.allowed)


@standard_base(id="kubeadm/cluster-info", needs=["cluster-admin"], timeout=20)
def test_cluster_info(kube: Kube) -> None:
    """kube-public/cluster-info holds a kubeconfig with one cluster and its CA, at least one jws-
    kubeconfig-<id> signature, and is bound for anonymous reads.
    """
    data = _cluster_info(kube)
    assert "kubeconfig" in data, "cluster-info has no kubeconfig key"
    assert any(key.startswith(JWS_KEY_PREFIX) for key in data), (
        f"cluster-info carries no {JWS_KEY_PREFIX}<id> signature: no bootstrap token can be "
        "used for discovery (is the bootstrapsigner controller running?)"
    )
    _cluster_info_ca(data)
    binding = _expect_role_pair(
        kube, k.KUBE_PUBLIC, "kubeadm:bootstrap-signer-clusterinfo", "configmaps", "cluster-info"
    )
    assert any(s.kind == "User" and s.name == k.ANONYMOUS_USER for s in binding.subjects or []), (
        "kubeadm:bootstrap-signer-clusterinfo does not bind system:anonymous"
    )


@standard_base(id="kubeadm/cluster-info-signatures", needs=["cluster-admin"], timeout=30)
def test_cluster_info_signatures(kube: Kube, record_property: Record) -> None:
    """Every token that may sign has a valid ``jws-kubeconfig-<id>``, and no other one exists."""

    def consistent() -> list[k.TokenSecret]:
        tokens = k.token_secrets(kube)
        problems = k.signing_problems(_cluster_info(kube), tokens, datetime.now(UTC))
        assert not problems, "; ".join(problems)
        return tokens or [k.TokenSecret("", {}, "")]

    tokens = wait_for("cluster-info's signatures to match the signing tokens", consistent, 20)
    if not any(t.can_sign(datetime.now(UTC)) for t in tokens):
        record_property(
            WARNING_PROPERTY,
            "no bootstrap token may sign cluster-info (kubeadm's "
            "token expires after 24h): create one with `kubeadm token create` to join",
        )


@standard_base(id="kubeadm/cluster-info-anonymous", needs=["cluster-admin"], timeout=20)
def test_cluster_info_anonymous(kube: Kube) -> None:
    """kubeadm join discovers the cluster through an anonymous read of cluster-info."""
    review = kube.authz.create_subject_access_review(
        {
            "spec": {
                "user": k.ANONYMOUS_USER,
                "resourceAttributes": {
                    "namespace": k.KUBE_PUBLIC,
                    "name": "cluster-info",
                    "resource": "configmaps",
                    "verb": "get",
                },
            }
        }
    )
    assert review.status.allowed, "system:anonymous may not get kube-public/cluster-info"
    response = kube.raw(
        "GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info", authenticate=False
    )
    assert response.status == 200, (
        f"an anonymous read of cluster-info answered HTTP {response.status}: kubeadm join's "
        "discovery cannot work (is anonymous authentication off?)"
    )
    assert response.json()["data"] == _cluster_info(kube), "anonymous read differs"


def _new_token(
    kube: Kube,
    run_id: str,
    usages: tuple[str, ...],
    expires: datetime,
    groups: tuple[str, ...] = (k.NODE_BOOTSTRAP_GROUP,),
) -> tuple[str, str]:
    token_id = secrets.token_hex(3)[:6]
    token_secret = secrets.token_hex(8)
    kube.core.create_namespaced_secret(
        k.KUBE_SYSTEM,
        k.token_secret_manifest(
            token_id, token_secret, b.run_labels(run_id), expires, usages, groups
        ),
    )
    return token_id, token_secret


def _delete_token(kube: Kube, token_id: str) -> None:
    try:
        kube.core.delete_namespaced_secret(f"bootstrap-token-{token_id}", k.KUBE_SYSTEM)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@standard_base(id="kubeadm/bootstrap-signer", needs=["cluster-admin"], timeout=60)
def test_bootstrap_signer(kube: Kube, run_id: str) -> None:
    """A new signing token gets its signature; a deleted one loses it (e2e_kubeadm's test)."""
    role = "system:controller:bootstrap-signer"  # RBAC's bootstrap policy for the controller
    assert not gone(lambda: kube.rbac.read_namespaced_role(role, k.KUBE_SYSTEM)), (
        f"the Role kube-system/{role} is missing (is the RBAC authorizer on?)"
    )
    expires = datetime.now(UTC) + timedelta(minutes=10)
    token_id, token_secret = _new_token(kube, run_id, ("signing",), expires)
    key = f"{JWS_KEY_PREFIX}{token_id}"
    try:
        signature = wait_for(
            f"cluster-info to be signed by the new token ({key})",
            lambda: _cluster_info(kube).get(key),
            30,
        )
        assert verify_detached_signature(
            _cluster_info(kube)["kubeconfig"], token_id, token_secret, signature
        ), f"{key} does not verify"
    finally:
        _delete_token(kube, token_id)
    wait_for(
        f"{key} to be removed after its token was deleted",
        lambda: key not in _cluster_info(kube),
        30,
    )


@standard_base(id="kubeadm/token-cleaner", needs=["cluster-admin"], timeout=60)
def test_token_cleaner(kube: Kube, run_id: str) -> None:
    """An expired token Secret is deleted; a valid one is kept (e2e_kubeadm's cleaner tests)."""
    now = datetime.now(UTC)
    expired, _ = _new_token(kube, run_id, ("authentication",), now - timedelta(hours=1))
    valid, _ = _new_token(kube, run_id, ("authentication",), now + timedelta(minutes=10))
    try:
        wait_for(
            "the token cleaner to delete an expired token",
            lambda: gone(
                lambda: kube.core.read_namespaced_secret(
                    f"bootstrap-token-{expired}", k.KUBE_SYSTEM
                )
            ),
            30,
        )
        assert not gone(
            lambda: kube.core.read_namespaced_secret(f"bootstrap-token-{valid}", k.KUBE_SYSTEM)
        ), "the token cleaner deleted a token that has not expired"
    finally:
        _delete_token(kube, expired)
        _delete_token(kube, valid)


@standard_base(id="kubeadm/bootstrap-token", needs=["cluster-admin"], timeout=20)
def test_bootstrap_token(kube: Kube, record_property: Record) -> None:
    """kubeadm's token Secret and the bindings that let joining nodes post and get CSRs."""
    kubeadm_tokens = [
        t
        for t in k.token_secrets(kube)
        if k.NODE_BOOTSTRAP_GROUP in t.groups and b.RUN_LABEL not in t.labels
    ]
    for token in kubeadm_tokens:
        for usage in ("authentication", "signing"):
            assert token.data.get(f"usage-bootstrap-{usage}") == "true", (
                f"token {token.id} is not usable for {usage}"
            )
    if not kubeadm_tokens:
        record_property(
            WARNING_PROPERTY,
            f"no bootstrap token carries {k.NODE_BOOTSTRAP_GROUP} "
            "(kubeadm's expires after 24h): nodes cannot join until one is created",
        )
    problems = []
    for name, kind, subject, role in [
        ("kubeadm:kubelet-bootstrap", "Group", k.NODE_BOOTSTRAP_GROUP, "system:node-bootstrapper"),
        (
            "kubeadm:node-autoapprove-bootstrap",
            "Group",
            k.NODE_BOOTSTRAP_GROUP,
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        ),
        (
            "kubeadm:node-autoapprove-certificate-rotation",
            "Group",
            k.NODES_GROUP,
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        ),
        ("kubeadm:get-nodes", "Group", k.NODE_BOOTSTRAP_GROUP, "kubeadm:get-nodes"),
        ("kubeadm:cluster-admins", "Group", "kubeadm:cluster-admins", "cluster-admin"),
    ]:
        problems += k.binding_has(kube.rbac.read_cluster_role_binding(name), kind, subject, role)
    assert not problems, "; ".join(problems)


@standard_base(id="kubeadm/bootstrap-token-auth", needs=["cluster-admin"], timeout=40)
def test_bootstrap_token_auth(kube: Kube, run_id: str) -> None:
    """A bootstrap token authenticates as system:bootstrap:<id> with kubeadm's groups, and can
    read what kubeadm join reads, and nothing more."""
    expires = datetime.now(UTC) + timedelta(minutes=10)
    token_id, token_secret = _new_token(kube, run_id, ("authentication",), expires)
    token = f"{token_id}.{token_secret}"
    try:

        def review() -> Any:  # the authenticator reads token Secrets from a cache: poll
            response = kube.raw(
                "POST",
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                bearer=token,
                body=b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
                headers={"Content-Type": "application/json"},
            )
            assert response.status == 201, (
                f"a bootstrap token does not authenticate (HTTP {response.status}): is "
                "--enable-bootstrap-token-auth off?"
            )
            return response

        response = wait_for("the new bootstrap token to authenticate", review, 10)
        info = response.json()["status"]["userInfo"]
        assert info["username"] == f"system:bootstrap:{token_id}", f"as {info['username']}"
        missing = {k.BOOTSTRAPPERS, k.NODE_BOOTSTRAP_GROUP, "system:authenticated"} - set(
            info.get("groups", [])
        )
        assert not missing, f"the token lacks groups {sorted(missing)}"
        allowed = {
            "/api/v1/namespaces/kube-system/configmaps/kubeadm-config": (200,),
            "/api/v1/namespaces/kube-system/configmaps/kubelet-config": (200,),
            "/api/v1/nodes/kubeadm-verify-no-such-node": (200, 404),  # get nodes: authorised
        }
        secrets_path = "/api/v1/namespaces/kube-system/secrets"
        got = k.answers_to_token(kube, token, (*allowed, secrets_path))
        for path, statuses in allowed.items():
            assert got[path] in statuses, f"a joining node cannot GET {path}: HTTP {got[path]}"
        denied = got[secrets_path]
        assert denied == 403, f"a bootstrap token may list secrets: HTTP {denied}"
    finally:
        _delete_token(kube, token_id)


@standard_base(id="kubeadm/rbac", needs=["cluster-admin"], timeout=30)
def test_rbac(kube: Kube) -> None:
    """The Roles kubeadm creates for joining nodes, and what they let them read."""
    for name, object_name in [
        ("kubeadm:nodes-kubeadm-config", "kubeadm-config"),
        ("kubeadm:kubelet-config", "kubelet-config"),
        ("kube-proxy", "kube-proxy"),
    ]:
        _expect_role_pair(kube, k.KUBE_SYSTEM, name, "configmaps", object_name)
    expected = [
        (k.NODE_BOOTSTRAP_GROUP, "kubeadm-config"),
        (k.NODES_GROUP, "kubeadm-config"),
        (k.NODE_BOOTSTRAP_GROUP, "kubelet-config"),
        (k.NODES_GROUP, "kubelet-config"),
        (k.NODE_BOOTSTRAP_GROUP, "kube-proxy"),
    ]
    refused_ = [
        f"{group} may not get {name}"
        for group, name in expected
        if not _group_may_get(kube, group, k.KUBE_SYSTEM, "configmaps", name)
    ]
    assert not refused_, "; ".join(refused_)


@standard_base(id="kubeadm/kubeadm-config", needs=["cluster-admin"], timeout=20)
def test_kubeadm_config(kube: Kube) -> None:
    """kube-system/kubeadm-config holds a ClusterConfiguration whose kubernetesVersion is the
    version the API server runs.
    """
    config = k.cluster_configuration(kube)
    assert config.get("kind") == "ClusterConfiguration", f"kind is {config.get('kind')}"
    api_version = str(config.get("apiVersion", ""))
    assert api_version in ("kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta3"), api_version
    server = kube.version.get_code().git_version
    configured = str(config.get("kubernetesVersion", ""))
    release = server.split("+")[0].split("-")[0]
    assert configured.lstrip("v") == release.lstrip("v"), (
        f"kubeadm-config says {configured}, the API server runs {server}"
    )
    k.subnets(k.networking(config)["serviceSubnet"])  # a malformed subnet fails here


@standard_base(id="kubeadm/kubelet-config", needs=["cluster-admin"], timeout=20)
def test_kubelet_config(kube: Kube) -> None:
    """kube-system/kubelet-config holds a KubeletConfiguration with the cluster's DNS IP and
    domain, anonymous off and Webhook authorization.
    """
    data = kube.core.read_namespaced_config_map("kubelet-config", k.KUBE_SYSTEM).data or {}
    assert "kubelet" in data, "kubelet-config has no kubelet key"
    kubelet = yamlread.load(data["kubelet"])
    assert kubelet.get("kind") == "KubeletConfiguration", f"kind is {kubelet.get('kind')}"
    assert kubelet.get("apiVersion") == "kubelet.config.k8s.io/v1beta1", (
        f"apiVersion is {kubelet.get('apiVersion')}"
    )
    net = k.networking(k.cluster_configuration(kube))
    dns = k.indexed_ip(net["serviceSubnet"], 10)
    assert dns in (kubelet.get("clusterDNS") or []), (
        f"clusterDNS {kubelet.get('clusterDNS')} lacks {dns}, the 10th IP of the service subnet"
    )
    assert kubelet.get("clusterDomain") == net["dnsDomain"], (
        f"clusterDomain {kubelet.get('clusterDomain')} is not dnsDomain {net['dnsDomain']}"
    )
    auth = kubelet.get("authentication") or {}
    assert (auth.get("anonymous") or {}).get("enabled") is False, "kubelets allow anonymous"
    assert (kubelet.get("authorization") or {}).get("mode") == "Webhook", "kubelet authz mode"


@standard_base(id="kubeadm/ca-pin", needs=["cluster-admin"], timeout=30)
def test_ca_pin(kube: Kube) -> None:
    """cluster-info's CA is the one that serves this API: its pin is what kubeadm join checks."""
    ca_pem, _ = _cluster_info_ca(_cluster_info(kube))
    ca = pki.load_pem_certs(ca_pem)[0]
    pin = ca_cert_hash(ca)
    served = pki.server_certificate(kube.host, ca_pem)  # fails unless this CA verifies the API
    assert served.issuer == ca.subject, "the serving certificate is not issued by cluster-info's CA"
    root_pins = {ca_cert_hash(c) for c in pki.load_pem_certs(k.root_ca(kube, k.KUBE_PUBLIC))}
    assert pin in root_pins, f"cluster-info's CA {pin} is not in kube-root-ca.crt ({root_pins})"


def _days_left(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86400


@standard_base(id="kubeadm/certificate-expiry", needs=["cluster-admin"], timeout=20)
def test_certificate_expiry(kube: Kube, record_property: Record) -> None:
    """The cluster CA and the API server's serving certificate are valid now (a warning when one
    expires within 30 days).
    """
    ca_pem, _ = _cluster_info_ca(_cluster_info(kube))
    ca = pki.load_pem_certs(ca_pem)[0]
    served = pki.server_certificate(kube.host, ca_pem)
    now = datetime.now(UTC)
    for label, cert in (("the cluster CA", ca), ("the API server certificate", served)):
        assert cert.not_valid_before_utc <= now, f"{label} is not valid yet"
        assert cert.not_valid_after_utc > now, f"{label} expired on {cert.not_valid_after_utc}"
    soon = [
        f"{label} expires in {_days_left(c):.0f} days"
        for label, c in (("the cluster CA", ca), ("the API server certificate", served))
        if _days_left(c) < CERT_WARN_DAYS
    ]
    if soon:
        record_property(WARNING_PROPERTY, "; ".join(soon) + " (kubeadm certs renew)")


@standard_base(id="kubeadm/apiserver-certificate-sans", needs=["cluster-admin"], timeout=20)
def test_apiserver_certificate_sans(kube: Kube) -> None:
    """The API server's serving certificate names kubernetes.default.svc.<domain> and the
    kubernetes Service IP.
    """
    net = k.networking(k.cluster_configuration(kube))
    ca_pem, _ = _cluster_info_ca(_cluster_info(kube))
    served = pki.server_certificate(kube.host, ca_pem)
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(sans.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    wanted = {
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{net['dnsDomain']}",
    }
    assert wanted <= names, f"the API server certificate lacks DNS names {sorted(wanted - names)}"
    cluster_ip = kube.core.read_namespaced_service("kubernetes", "default").spec.cluster_ip
    assert cluster_ip in ips, f"the API server certificate lacks the Service IP {cluster_ip}"


@standard_base(id="kubeadm/coredns-objects", needs=["cluster-admin"], timeout=20)
def test_coredns_objects(kube: Kube) -> None:
    """kubeadm's CoreDNS objects exist (account, RBAC, Corefile, Deployment) and kube-dns has the
    10th IP of the service subnet.
    """
    kube.core.read_namespaced_service_account("coredns", k.KUBE_SYSTEM)
    kube.rbac.read_cluster_role("system:coredns")
    problems = k.binding_has(
        kube.rbac.read_cluster_role_binding("system:coredns"),
        "ServiceAccount",
        "coredns",
        "system:coredns",
        k.KUBE_SYSTEM,
    )
    assert not problems, "; ".join(problems)
    corefile = kube.core.read_namespaced_config_map("coredns", k.KUBE_SYSTEM).data or {}
    assert "Corefile" in corefile, "ConfigMap coredns has no Corefile"
    deployment = kube.apps.read_namespaced_deployment("coredns", k.KUBE_SYSTEM)
    account = deployment.spec.template.spec.service_account_name
    assert account == "coredns", f"Deployment coredns runs as {account}"
    service = kube.core.read_namespaced_service("kube-dns", k.KUBE_SYSTEM)
    net = k.networking(k.cluster_configuration(kube))
    dns_ip = k.indexed_ip(net["serviceSubnet"], 10)
    assert service.spec.cluster_ip == dns_ip, (
        f"kube-dns has ClusterIP {service.spec.cluster_ip}, kubelets are told {dns_ip}"
    )


@standard_base(id="kubeadm/kube-proxy-objects", needs=["cluster-admin"], timeout=20)
def test_kube_proxy_objects(kube: Kube) -> None:
    """kubeadm's kube-proxy objects exist: its account and binding, its ConfigMap and its
    DaemonSet.
    """
    kube.core.read_namespaced_service_account("kube-proxy", k.KUBE_SYSTEM)
    problems = k.binding_has(
        kube.rbac.read_cluster_role_binding("kubeadm:node-proxier"),
        "ServiceAccount",
        "kube-proxy",
        "system:node-proxier",
        k.KUBE_SYSTEM,
    )
    assert not problems, "; ".join(problems)
    data = kube.core.read_namespaced_config_map("kube-proxy", k.KUBE_SYSTEM).data or {}
    missing = {"config.conf", "kubeconfig.conf"} - set(data)
    assert not missing, f"ConfigMap kube-proxy lacks {sorted(missing)}"
    daemonset = kube.apps.read_namespaced_daemon_set("kube-proxy", k.KUBE_SYSTEM)
    account = daemonset.spec.template.spec.service_account_name
    assert account == "kube-proxy", f"DaemonSet kube-proxy runs as {account}"


@standard_base(id="kubeadm/networking", needs=["cluster-admin"], timeout=20)
def test_networking(kube: Kube) -> None:
    """The ``kubernetes`` Service IP lies in serviceSubnet; node pod CIDRs in podSubnet."""
    net = k.networking(k.cluster_configuration(kube))
    service = kube.core.read_namespaced_service("kubernetes", "default")
    assert k.ip_within(service.spec.cluster_ip, net["serviceSubnet"]), (
        f"the kubernetes Service IP {service.spec.cluster_ip} is outside {net['serviceSubnet']}"
    )
    assert service.spec.cluster_ip == k.indexed_ip(net["serviceSubnet"], 1), (
        f"the kubernetes Service IP {service.spec.cluster_ip} is not the subnet's first address"
    )
    if not net["podSubnet"]:
        return  # kubeadm does not default podSubnet; e2e_kubeadm skips this half the same way
    outside = [
        f"{node.metadata.name}: {cidr}"
        for node in list_nodes(kube)
        for cidr in node.spec.pod_cidrs
        if not k.cidr_within(cidr, net["podSubnet"])
    ]
    assert not outside, f"node pod CIDRs outside podSubnet {net['podSubnet']}: {outside}"


@standard_base(id="kubeadm/control-plane-nodes", needs=["cluster-admin"], timeout=20)
def test_control_plane_nodes(kube: Kube) -> None:
    """Control-plane nodes are labelled and tainted NoSchedule (e2e_kubeadm [multi-node])."""
    label = "node-role.kubernetes.io/control-plane"
    nodes = kube.core.list_node(label_selector=label).items
    if not nodes:
        pytest.skip(
            "no node carries the control-plane label (the control plane runs without a "
            "registered kubelet)"
        )
    untainted = [
        n.metadata.name
        for n in nodes
        if not any(t.key == label and t.effect == "NoSchedule" for t in n.spec.taints or [])
    ]
    assert not untainted, f"control-plane nodes without the NoSchedule taint: {untainted}"
