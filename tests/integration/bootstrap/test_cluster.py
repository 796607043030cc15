"""One session cluster (the plugin's ``kv_cluster``), read-only checks against it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bootstrap.kubeadm.pkiutil import signed_by
from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, parse_token, verify_detached_signature
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.state import StateDir
from tests.integration.bootstrap.helpers import (
    anonymous_get,
    eventually,
    kubeconfig_parts,
    post_json,
)

pytestmark = pytest.mark.integration
CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"


def token_of(handle: ClusterHandle) -> str:
    assert handle.state_dir is not None
    return str(StateDir(handle.state_dir, handle.name).cluster_record().tokens[0])


def test_readyz_with_the_admin_kubeconfig(kv_cluster: ClusterHandle) -> None:
    api = kv_cluster.api_client()
    try:
        request = api.param_serialize(
            method="GET", resource_path="/readyz", auth_settings=["BearerToken"]
        )
        response = api.call_api(*request)
        response.read()
    finally:
        api.close()
    assert response.status == 200
    assert response.data == b"ok"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces/kube-public/configmaps",
        "/api/v1/namespaces/kube-system/configmaps/kubeadm-config",
        "/api/v1/namespaces/kube-system/secrets",
        "/api/v1/namespaces",
        "/api/v1/nodes",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    ],
)
def test_anonymous_reads_cluster_info_and_nothing_else(
    kv_cluster: ClusterHandle, tmp_path: Path, path: str
) -> None:
    server, ca = kubeconfig_parts(kv_cluster.kubeconfig, tmp_path)
    assert anonymous_get(server, ca, CLUSTER_INFO).status_code == 200
    assert anonymous_get(server, ca, path).status_code == 403


def test_bootstrap_token_authenticates_with_kubeadms_group(
    kv_cluster: ClusterHandle, tmp_path: Path
) -> None:
    server, ca = kubeconfig_parts(kv_cluster.kubeconfig, tmp_path)
    token = parse_token(token_of(kv_cluster))
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    response = post_json(
        server, ca, "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, token.value
    )
    assert response.status_code == 201, response.text
    user = response.json()["status"]["userInfo"]
    assert user["username"] == f"system:bootstrap:{token.id}"
    assert "system:bootstrappers:kubeadm:default-node-token" in user["groups"]
    assert "system:bootstrappers" in user["groups"]
    wrong = f"{token.id}.{'0' * 16}"
    assert (
        post_json(
            server, ca, "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, wrong
        ).status_code
        == 401
    )


def test_bootstrap_signer_signature_verifies(kv_cluster: ClusterHandle, tmp_path: Path) -> None:
    server, ca = kubeconfig_parts(kv_cluster.kubeconfig, tmp_path)
    token = parse_token(token_of(kv_cluster))
    data = anonymous_get(server, ca, CLUSTER_INFO).json()["data"]
    signature = data[f"{JWS_KEY_PREFIX}{token.id}"]
    assert verify_detached_signature(data["kubeconfig"], token.id, token.secret, signature)
    assert not verify_detached_signature(
        data["kubeconfig"] + " ", token.id, token.secret, signature
    )


def test_a_csr_is_signed_by_the_cluster_ca(kv_cluster: ClusterHandle) -> None:
    from kubernetes import client as k8s

    key = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kv-csr-user")]))
        .sign(key, hashes.SHA256())
    )
    pem = request.public_bytes(serialization.Encoding.PEM)
    name = f"kv-csr-{time.time_ns()}"
    api_client = kv_cluster.api_client()
    api = k8s.CertificatesV1Api(api_client)
    import base64

    api.create_certificate_signing_request(
        k8s.V1CertificateSigningRequest(
            metadata=k8s.V1ObjectMeta(name=name),
            spec=k8s.V1CertificateSigningRequestSpec(
                request=base64.b64encode(pem).decode(),
                usages=["client auth"],
                signer_name="kubernetes.io/kube-apiserver-client",
                expiration_seconds=600,
            ),
        )
    )
    try:
        csr = api.read_certificate_signing_request(name)
        csr.status.conditions = [
            k8s.V1CertificateSigningRequestCondition(
                type="Approved", status="True", reason="KubeadmVerifyTest", message="test"
            )
        ]
        api.replace_certificate_signing_request_approval(name, csr)
        issued: list[bytes] = []

        def signed() -> bool:
            status = api.read_certificate_signing_request(name).status
            if status and status.certificate:
                issued.append(base64.b64decode(status.certificate))
            return bool(issued)

        eventually(signed, 30, "the CSR to be signed")
    finally:
        api.delete_certificate_signing_request(name)
        api_client.close()
    cert = x509.load_pem_x509_certificate(issued[0])
    assert kv_cluster.state_dir is not None
    ca = x509.load_pem_x509_certificate((kv_cluster.state_dir / "pki" / "ca.crt").read_bytes())
    assert signed_by(cert, ca)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kv-csr-user"


def test_simulated_nodes_run_a_deployment(kv_cluster: ClusterHandle, kv_namespace: str) -> None:
    from kubernetes import client as k8s

    api_client = kv_cluster.api_client()
    core, apps = k8s.CoreV1Api(api_client), k8s.AppsV1Api(api_client)
    try:
        nodes = [n for n in core.list_node().items if n.metadata.name.startswith("kwok-node-")]
        assert len(nodes) == kv_cluster.simulated_nodes == 2
        for node in nodes:
            ready = [c for c in node.status.conditions if c.type == "Ready"]
            assert ready and ready[0].status == "True"
        labels = {"app": "kv-web"}
        apps.create_namespaced_deployment(
            kv_namespace,
            k8s.V1Deployment(
                metadata=k8s.V1ObjectMeta(name="web"),
                spec=k8s.V1DeploymentSpec(
                    replicas=3,
                    selector=k8s.V1LabelSelector(match_labels=labels),
                    template=k8s.V1PodTemplateSpec(
                        metadata=k8s.V1ObjectMeta(labels=labels),
                        spec=k8s.V1PodSpec(
                            containers=[
                                k8s.V1Container(name="web", image="registry.k8s.io/pause:3.10.1")
                            ],
                            node_selector={"type": "kwok"},
                        ),
                    ),
                ),
            ),
        )

        def running() -> bool:
            pods = core.list_namespaced_pod(kv_namespace, label_selector="app=kv-web").items
            return len(pods) == 3 and all(p.status.phase == "Running" for p in pods)

        eventually(running, 60, "3 pods Running on kwok nodes")
        pods = core.list_namespaced_pod(kv_namespace, label_selector="app=kv-web").items
        assert {p.spec.node_name for p in pods} <= {n.metadata.name for n in nodes}
        eventually(
            lambda: (
                (apps.read_namespaced_deployment("web", kv_namespace).status.ready_replicas or 0)
                == 3
            ),
            30,
            "the Deployment ready",
        )
    finally:
        api_client.close()


def test_the_namespace_fixture_labels_its_namespace(
    kv_cluster: ClusterHandle, kv_namespace: str
) -> None:
    from kubernetes import client as k8s

    from bootstrap.fixtures import RUN_LABEL

    api_client = kv_cluster.api_client()
    try:
        namespace = k8s.CoreV1Api(api_client).read_namespace(kv_namespace)
    finally:
        api_client.close()
    assert RUN_LABEL in namespace.metadata.labels
