"""An HTTPS server the API server calls back, run as an agnhost pod on a real node behind a Service.

Admission webhooks and CRD conversion webhooks are reached by the API server through a Service
reference, over TLS it verifies against the ``caBundle`` the configuration carries. The test makes
that CA and a serving certificate for the Service's DNS name itself (as upstream's e2e does), so a
webhook that answers proves the whole path: the Service's endpoints, the API server's route to a
pod on a node, the pod serving the certificate the CA signed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.pki import key_pem, new_key
from conformance.standard_base.workloads import wait_running_ready

CERT_DIR = "/webhook.local.config/certificates"
CONTAINER_PORT = 8444
READY_S = 20.0
"""Pulling nothing (the image is local), a pod on a real node is Running within seconds; the
readiness probe (every second) and the EndpointSlice follow."""


@dataclass(frozen=True)
class WebhookServer:
    """Where the API server finds the server: a Service and the CA its certificate chains to."""

    namespace: str
    service: str
    port: int
    ca_pem: bytes

    def client_config(self, path: str) -> dict[str, object]:
        """A webhook's ``clientConfig`` calling ``path`` on this server."""
        return {
            "service": {
                "namespace": self.namespace,
                "name": self.service,
                "path": path,
                "port": self.port,
            },
            "caBundle": _b64(self.ca_pem),
        }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def serving_pair(dns_name: str) -> tuple[bytes, bytes, bytes]:
    """A throwaway CA, and a certificate it signs for ``dns_name`` with that certificate's key:
    ``(ca_pem, cert_pem, key_pem)``. Valid for an hour: no run lasts longer."""
    now = datetime.now(UTC)
    ca_key, key = new_key(), new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubeadm-verify-webhook-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name[:64])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem(key)


def serve(kube: Kube, namespace: str, name: str, subcommand: str) -> WebhookServer:
    """:func:`start`, then :func:`wait_ready`."""
    server = start(kube, namespace, name, subcommand)
    wait_ready(kube, server)
    return server


def start(kube: Kube, namespace: str, name: str, subcommand: str) -> WebhookServer:
    """Start agnhost ``subcommand`` (``webhook``, ``crd-conversion-webhook``) with a serving
    certificate for Service ``name`` in ``namespace``, and return at once: what needs only the
    server's address and CA (a configuration that names it) can be made while its pod starts.

    Everything lives in the test's namespace, so it goes with it.
    """
    ca_pem, cert_pem, private = serving_pair(f"{name}.{namespace}.svc")
    kube.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": name},
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": cert_pem.decode(), "tls.key": private.decode()},
        },
    )
    labels = {"app": name}
    server = b.container(
        subcommand,
        image=b.AGNHOST_IMAGE,
        args=[
            subcommand,
            f"--tls-cert-file={CERT_DIR}/tls.crt",
            f"--tls-private-key-file={CERT_DIR}/tls.key",
            f"--port={CONTAINER_PORT}",
        ],
        ports=[{"containerPort": CONTAINER_PORT}],
        volumeMounts=[{"name": "certs", "mountPath": CERT_DIR, "readOnly": True}],
        readinessProbe={
            "httpGet": {"scheme": "HTTPS", "port": CONTAINER_PORT, "path": "/readyz"},
            "periodSeconds": 1,
        },
    )
    kube.core.create_namespaced_pod(
        namespace,
        b.pod(name, labels, server, volumes=[{"name": "certs", "secret": {"secretName": name}}]),
    )
    return WebhookServer(namespace, name, CONTAINER_PORT, ca_pem)


def wait_ready(kube: Kube, server: WebhookServer) -> None:
    """Once the server's pod is Ready, point its Service at the pod."""
    pod = wait_running_ready(kube, server.namespace, server.service, READY_S)
    kube.core.create_namespaced_service(
        server.namespace,
        {
            "metadata": {"name": server.service},
            "spec": {"type": "ExternalName", "externalName": pod.status.pod_ip},
        },
    )
