"""Pod certificates: a ``podCertificate`` projected volume holds a key of the kubelet's making and
the chain a signer issued for it.

The test runs the signer itself (:mod:`conformance.standard_base.podcertsigner`), as upstream's
test/e2e/auth/projected_podcertificate.go runs its hermetic one: the kubelet asks it for a
certificate with a PodCertificateRequest, it issues one, the kubelet writes key and chain into
the pod. What is judged is the cluster's part: the API server's bounds on ``maxExpirationSeconds``
and its default, the kubelet's request (the pod's user annotations, the lifetime it asks for),
the key and the issued chain in the pod's volume, and two pods proving their identities to
each other with them. A key read back from a pod is held in memory to be compared, never said.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, refused, server_said, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.podcertsigner import SPIFFE_PATH_KEY, Signer
from conformance.standard_base.workloads import exec_in, logs, pod_ready

SIG = "[sig-auth]"
DESCRIBE = (
    f"{SIG} Projected PodCertificate [FeatureGate:PodCertificateRequest] "
    "[FeatureGate:ClusterTrustBundle] [FeatureGate:ClusterTrustBundleProjection]"
)
KUBELET = "[MinimumKubeletVersion:1.37] [Conformance]"
MOUNT = "/run/tls-config"
BUNDLE = "spiffe-cred-bundle.pem"
TRUST = "spiffe-trust-bundle.pem"
MAX_S = 91 * 24 * 3600  # 7862400: kube-apiserver's bound
MIN_S = 3600
DEFAULT_S = 86400
CUSTOM_PATH = "/custom-workload"
SERVER_PORT = 8443


def _projection(signer: str, **extra: Any) -> b.Manifest:
    return {
        "podCertificate": {
            "signerName": signer,
            "credentialBundlePath": BUNDLE,
            "keyType": "ECDSAP256",
            **extra,
        }
    }


def _pod(name: str, command: list[str], *sources: b.Manifest, **labels: str) -> Any:
    """An agnhost pod with ``sources`` projected at ``MOUNT``."""
    return b.pod(
        name,
        labels or None,
        b.container(
            image=b.AGNHOST_IMAGE,
            command=command,
            volumeMounts=[{"name": "tls-config", "mountPath": MOUNT}],
        ),
        volumes=[{"name": "tls-config", "projected": {"sources": list(sources)}}],
    )


@standard_base(
    id="auth/pod-certificate-expiration-limits",
    conformance=[
        f"{DESCRIBE} MaxExpirationSeconds validations should reject pod creation when "
        f"MaxExpirationSeconds exceeds maximum (91d) {KUBELET}",
        f"{DESCRIBE} MaxExpirationSeconds validations should reject pod creation when "
        f"MaxExpirationSeconds is less than minimum (1h) {KUBELET}",
    ],
    timeout=15,
    since="1.37",
)
def test_pod_certificate_expiration_limits(kube: Kube, kv_namespace: str) -> None:
    """A pod whose ``podCertificate`` projection asks for a ``maxExpirationSeconds`` above 91
    days (7862400 s) or below one hour is refused (422) saying which bound; the bounds
    themselves are admitted (dry run: nothing is created)."""
    signer = "kubeadm-verify.io/expiration-limits"
    sleep = ["sleep", "3600"]
    for seconds, said in (
        (MAX_S + 1, f"if provided, maxExpirationSeconds must be <= {MAX_S}"),
        (MIN_S - 1, f"if provided, maxExpirationSeconds must be >= {MIN_S}"),
    ):
        pod = _pod(f"expiry-{seconds}", sleep, _projection(signer, maxExpirationSeconds=seconds))
        error = refused(
            f"a pod certificate of {seconds}s",
            functools.partial(kube.core.create_namespaced_pod, kv_namespace, pod),
        )
        assert error.status == 422, f"{seconds}s: HTTP {error.status}, not 422 Invalid"
        assert said in str(json.loads(error.body or "{}").get("message", "")), (
            f"{seconds}s was refused without saying '{said}': {server_said(error.body)}"
        )
    for seconds in (MAX_S, MIN_S):
        pod = _pod(f"expiry-{seconds}", sleep, _projection(signer, maxExpirationSeconds=seconds))
        kube.core.create_namespaced_pod(kv_namespace, pod, dry_run="All")


def _issued_for(requests: list[dict[str, Any]], pod: str) -> dict[str, Any] | None:
    found = [r for r in requests if r["spec"].get("podName") == pod]
    return found[-1] if found else None


def _read_bundle(kube: Kube, namespace: str, pod: str) -> tuple[Any, list[x509.Certificate]]:
    """The private key and the certificates of the pod's credential bundle (the key stays in
    memory: it is compared, never said)."""
    text = exec_in(kube, namespace, pod, ["cat", f"{MOUNT}/{BUNDLE}"])
    data = text.encode()
    assert b"-----BEGIN PRIVATE KEY-----" in data, f"pod {pod}: the bundle holds no private key"
    start = data.index(b"-----BEGIN PRIVATE KEY-----")
    end = data.index(b"-----END PRIVATE KEY-----") + len(b"-----END PRIVATE KEY-----")
    key = serialization.load_pem_private_key(data[start:end], password=None)
    certs = x509.load_pem_x509_certificates(data[:start] + data[end:])
    assert certs, f"pod {pod}: the bundle holds no certificate"
    return key, certs


def _judge_inspected(
    kube: Kube, namespace: str, pod: str, request: dict[str, Any], lifetime_s: int, path: str
) -> None:
    """The pod holds the key its kubelet asked a certificate for and the chain issued for it:
    the lifetime requested, the SPIFFE path asked for."""
    asked = request["spec"].get("maxExpirationSeconds")
    assert asked == lifetime_s, (
        f"pod {pod}: its kubelet asked for maxExpirationSeconds {asked}, not {lifetime_s}"
    )
    key, certs = _read_bundle(kube, namespace, pod)
    leaf = certs[0]
    issued = x509.load_pem_x509_certificates(request["status"]["certificateChain"].encode())
    assert leaf == issued[0], f"pod {pod}: the bundle's certificate is not the one issued"
    same_key = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert same_key, f"pod {pod}: the bundle's key is not the key of its certificate"
    life = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert life == timedelta(seconds=lifetime_s), (
        f"pod {pod}: its certificate lives {life}, not {timedelta(seconds=lifetime_s)}"
    )
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    uris = sans.get_values_for_type(x509.UniformResourceIdentifier)
    assert f"spiffe://cluster.local{path}" in uris, (
        f"pod {pod}: its certificate names {uris}, not the SPIFFE path {path}"
    )


def _client_logs(kube: Kube, namespace: str) -> str:
    """The mTLS client's log ('' while its container has not started: no log to read yet)."""
    try:
        return logs(kube, namespace, "client")
    except client.ApiException as exc:
        if exc.status == 400:
            return ""
        raise


def _mtls_pods(namespace: str, signer: str) -> list[Any]:
    trust = {"clusterTrustBundle": {"signerName": signer, "labelSelector": {}, "path": TRUST}}
    server = _pod(
        "server",
        [
            "/agnhost",
            "mtlsserver",
            f"--listen=0.0.0.0:{SERVER_PORT}",
            f"--server-creds={MOUNT}/{BUNDLE}",
            f"--spiffe-trust-bundle={MOUNT}/{TRUST}",
        ],
        _projection(signer),
        trust,
        app="server",
    )
    client_pod = _pod(
        "client",
        [
            "/agnhost",
            "mtlsclient",
            f"--fetch-url=https://server.{namespace}.svc/spiffe-echo",
            f"--server-trust-bundle={MOUNT}/{TRUST}",
            f"--client-cred-bundle={MOUNT}/{BUNDLE}",
        ],
        trust,
        _projection(signer),
    )
    return [server, client_pod]


@standard_base(
    id="storage/pod-certificate-volume",
    conformance=[
        f"{DESCRIBE} should allow server and client pods to establish an mTLS connection {KUBELET}",
        f"{DESCRIBE} should honor UserAnnotations for SPIFFE URI path {KUBELET}",
        f"{DESCRIBE} MaxExpirationSeconds validations should issue certificate with default "
        f"life time (24h) when MaxExpirationSeconds is not set {KUBELET}",
        f"{DESCRIBE} MaxExpirationSeconds validations should issue certificate with specified "
        f"duration (1h) when MaxExpirationSeconds is set {KUBELET}",
    ],
    needs=["real-kubelet", "dns", "cluster-admin"],
    timeout=75,
    since="1.37",
)
def test_pod_certificate_volume(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """With the test as the signer of a name of its own: a pod's kubelet asks for a
    certificate for 86400 s when its projection sets no ``maxExpirationSeconds`` and for 3600
    s when it sets that, passing the pod's user annotations on; the volume holds the key
    the certificate was issued for and the issued chain, of that lifetime, with the SPIFFE
    path the annotation asked for; a server and a client pod with such credentials and the
    signer's ClusterTrustBundle projected establish mutual TLS, the server naming the
    client's SPIFFE identity."""
    signer = Signer.make(b.unique("kubeadm-verify.io/pod-certs"))
    kube.certificates.create_cluster_trust_bundle(signer.trust_bundle(run_id))
    try:
        _exercise(kube, kv_namespace, signer)
    finally:
        kube.certificates.delete_cluster_trust_bundle(signer.trust_bundle_name)


def _exercise(kube: Kube, namespace: str, signer: Signer) -> None:
    name = signer.signer_name
    sleep = ["sleep", "3600"]
    annotated = _projection(name, userAnnotations={SPIFFE_PATH_KEY: CUSTOM_PATH})
    inspected = {
        "default-life": _pod("default-life", sleep, annotated),
        "one-hour": _pod("one-hour", sleep, _projection(name, maxExpirationSeconds=MIN_S)),
    }
    for pod in [*inspected.values(), *_mtls_pods(namespace, name)]:
        kube.core.create_namespaced_pod(namespace, pod)
    kube.core.create_namespaced_service(
        namespace,
        b.service("server", {"app": "server"}, [{"port": 443, "targetPort": SERVER_PORT}]),
    )
    requests: list[dict[str, Any]] = []

    def answered() -> bool:
        nonlocal requests
        requests = signer.issue_pending(kube, namespace)
        for pod in inspected:
            assert pod_ready(kube.core.read_namespaced_pod(pod, namespace)), (
                f"pod {pod} is not Ready (its certificate issued: "
                f"{_issued_for(requests, pod) is not None})"
            )
        said = _client_logs(kube, namespace)
        assert "Got response body: Client Identity: spiffe://" in said, (
            "the mTLS client has not been answered with its identity yet"
        )
        return True

    wait_for("the pods' certificates and the mTLS exchange", answered, 60, interval=0.5)
    said = logs(kube, namespace, "client")
    identity = f"Client Identity: spiffe://cluster.local/ns/{namespace}/sa/default"
    assert identity in said, "the mTLS server named another identity than the client's"
    requests = signer.issue_pending(kube, namespace)
    for pod, seconds, path in (
        ("default-life", DEFAULT_S, CUSTOM_PATH),
        ("one-hour", MIN_S, f"/ns/{namespace}/sa/default"),
    ):
        request = _issued_for(requests, pod)
        assert request is not None, f"no PodCertificateRequest for pod {pod}"
        _judge_inspected(kube, namespace, pod, request, seconds, path)
    annotations = _issued_for(requests, "default-life") or {}
    passed = annotations["spec"].get("unverifiedUserAnnotations") or {}
    assert passed.get(SPIFFE_PATH_KEY) == CUSTOM_PATH, (
        "the kubelet did not pass the pod's user annotation on to the signer"
    )
