"""A pod certificate signer run by a test: it issues the PodCertificateRequests of its signer name.

A ``podCertificate`` projected volume makes the kubelet generate a key, ask for a certificate
with a PodCertificateRequest naming a signer, and write the key and the issued chain into the
pod once the signer has set the request's status. Upstream's conformance tests run such a
signer in process (test/utils/hermeticpodcertificatesigner); this one does the same from the
test: a CA of its own (a key made here, held in memory only, never written or reported), a
ClusterTrustBundle publishing that CA under the signer name, and :meth:`Signer.issue_pending`,
which the test calls from its waits to issue every request of its signer that has no answer.

Like upstream's, it issues a SPIFFE identity (``spiffe://cluster.local/ns/<ns>/sa/<sa>``, whose
path a pod may override with the ``spiffe/path-overriding`` user annotation) and DNS names for a
Service named ``server`` in the request's namespace; unlike upstream's, which caps every
certificate at 24 hours, it issues for exactly the ``maxExpirationSeconds`` the request carries,
so the lifetime a pod sees is the one its kubelet asked for.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube

SPIFFE_PATH_KEY = "spiffe/path-overriding"
TRUST_DOMAIN = "cluster.local"
BACKDATE = timedelta(minutes=2)  # upstream's signer backdates as much, for clock skew
REFRESH_BEFORE_END = timedelta(minutes=30)


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _requested_key(spec: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """The public key a request is for: its stub PKCS#10 request's, or its PKIX key."""
    stub = spec.get("stubPKCS10Request")
    key: object
    if stub:
        key = x509.load_der_x509_csr(base64.b64decode(stub)).public_key()
    else:
        key = serialization.load_der_public_key(base64.b64decode(spec["pkixPublicKey"]))
    assert isinstance(key, ec.EllipticCurvePublicKey), (
        f"the request is for a {type(key).__name__}, not the ECDSA P-256 key asked for"
    )
    return key


@dataclass
class Signer:
    """One signer name, its CA, and the requests it has issued (by request name)."""

    signer_name: str
    ca_key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate

    @classmethod
    def make(cls, signer_name: str) -> Signer:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, signer_name)])
        now = datetime.now(UTC).replace(microsecond=0)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(signer_name, key, cert)

    @property
    def ca_pem(self) -> str:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def trust_bundle_name(self) -> str:
        """Upstream's naming: the signer name with its first ``/`` as ``:``, then the bundle."""
        return self.signer_name.replace("/", ":", 1) + ":primary-bundle"

    def trust_bundle(self, run_id: str) -> b.Manifest:
        return {
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "ClusterTrustBundle",
            "metadata": b.metadata(self.trust_bundle_name, b.run_labels(run_id)),
            "spec": {"signerName": self.signer_name, "trustBundle": self.ca_pem},
        }

    def status_for(self, request: dict[str, Any]) -> b.Manifest:
        """The issued status of ``request`` (a PodCertificateRequest as the API's JSON)."""
        spec, meta = request["spec"], request["metadata"]
        namespace = meta["namespace"]
        lifetime = timedelta(seconds=int(spec["maxExpirationSeconds"]))
        path = f"/ns/{namespace}/sa/{spec['serviceAccountName']}"
        path = (spec.get("unverifiedUserAnnotations") or {}).get(SPIFFE_PATH_KEY, path)
        not_before = datetime.now(UTC).replace(microsecond=0) - BACKDATE
        not_after = not_before + lifetime
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca_cert.subject)
            .public_key(_requested_key(spec))
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.UniformResourceIdentifier(f"spiffe://{TRUST_DOMAIN}{path}"),
                        x509.DNSName(f"server.{namespace}.svc"),
                        x509.DNSName(f"server.{namespace}.svc.{TRUST_DOMAIN}"),
                    ]
                ),
                critical=True,  # the subject is empty: RFC 5280 wants the SANs critical
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
                ),
                critical=False,
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        return {
            "certificateChain": leaf.public_bytes(serialization.Encoding.PEM).decode(),
            "notBefore": _time(not_before),
            "notAfter": _time(not_after),
            "beginRefreshAt": _time(not_after - REFRESH_BEFORE_END),
            "conditions": [
                {
                    "type": "Issued",
                    "status": "True",
                    "reason": "Issued",
                    "message": "issued by the Standard Base's signer",
                    "lastTransitionTime": _time(datetime.now(UTC)),
                }
            ],
        }

    def issue_pending(self, kube: Kube, namespace: str) -> list[dict[str, Any]]:
        """Issue every request in ``namespace`` for this signer that has no answer yet; return
        every request of this signer (as the API's JSON) as it was listed."""
        listed = kube.raw_json(
            f"/apis/certificates.k8s.io/v1/namespaces/{namespace}/podcertificaterequests"
        )
        mine = [r for r in listed.get("items") or [] if r["spec"]["signerName"] == self.signer_name]
        for request in mine:
            status = request.get("status") or {}
            if status.get("certificateChain") or status.get("conditions"):
                continue
            request["status"] = self.status_for(request)
            kube.certificates.replace_namespaced_pod_certificate_request_status(
                request["metadata"]["name"], namespace, request
            )
        return mine
