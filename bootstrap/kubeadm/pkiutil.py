"""Keys and X.509 certificates built the way kubeadm's ``pkiutil`` builds them.

Key types follow ``encryptionAlgorithm``; private keys are PEM in the legacy forms Go's
``keyutil.MarshalPrivateKeyToPEM`` writes (``RSA PRIVATE KEY``, ``EC PRIVATE KEY``); serials are
uniform in [1, 2^63-1); validity runs from five minutes before now (``CertificateBackdate``) to
now plus the configured period; CAs carry ``DNSNames=[CN]`` like ``NewSelfSignedCACert``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from bootstrap.kubeadm.certspec import AltNames
from bootstrap.kubeadm.configtypes import EncryptionAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
CERTIFICATE_BACKDATE = timedelta(minutes=5)
_MAX_SERIAL = 2**63 - 1
_RSA_BITS = {
    EncryptionAlgorithm.RSA_2048: 2048,
    EncryptionAlgorithm.RSA_3072: 3072,
    EncryptionAlgorithm.RSA_4096: 4096,
}


def new_private_key(algorithm: EncryptionAlgorithm) -> PrivateKey:
    if algorithm is EncryptionAlgorithm.ECDSA_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm is EncryptionAlgorithm.ECDSA_P384:
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[algorithm])


def encode_private_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def encode_public_key(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def encode_certificate(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(path: Path) -> x509.Certificate:
    """The first certificate of a PEM file (the leaf, as kubeadm's ``TryLoadCertFromDisk``)."""
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def load_private_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"the private key file {path} is neither in RSA nor ECDSA format")
    return key


def public_key_of(cert: x509.Certificate) -> PublicKey:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("the certificate's key is neither RSA nor ECDSA")
    return key


def spki(key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo: what a CA pin hashes, and how keys are compared."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    return spki(public_key_of(cert)) == spki(key.public_key())


def signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """Issuer name and signature check out against ``ca_cert``."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def new_ca_certificate(
    key: PrivateKey, common_name: str, period: timedelta, now: datetime
) -> x509.Certificate:
    """``NewSelfSignedCACert``: CA:TRUE, CertSign usage, the CN repeated as a DNS SAN."""
    name = _name(common_name, ())
    builder = _base(name, name, key.public_key(), period, now, is_ca=True)
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
    )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    return builder.sign(key, _hash_for(key))


def new_signed_certificate(
    public_key: PublicKey,
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    subject: tuple[str, tuple[str, ...]],
    usages: tuple[ObjectIdentifier, ...],
    alt_names: AltNames,
    period: timedelta,
    now: datetime,
) -> x509.Certificate:
    """``NewSignedCert`` for a leaf: ``subject`` is (CN, organizations)."""
    builder = _base(_name(*subject), ca_cert.subject, public_key, period, now, is_ca=False)
    builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in alt_names.dns]
    sans += [x509.IPAddress(ip) for ip in alt_names.ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        pass
    else:
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(ca_key, _hash_for(ca_key))


def _name(common_name: str, organizations: tuple[str, ...]) -> x509.Name:
    """Organisations before the CN, the order Go's ``pkix.Name`` writes them in."""
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _base(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    period: timedelta,
    now: datetime,
    *,
    is_ca: bool,
) -> x509.CertificateBuilder:
    start = now.replace(microsecond=0)
    usage = x509.KeyUsage(
        digital_signature=True,
        key_encipherment=True,
        key_cert_sign=is_ca,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(secrets.randbelow(_MAX_SERIAL - 1) + 1)
        .not_valid_before(start - CERTIFICATE_BACKDATE)
        .not_valid_after(start + period)
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )


def _hash_for(signer: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    """What Go's ``x509.CreateCertificate`` picks: SHA-384 for P-384 signers, else SHA-256."""
    if isinstance(signer, ec.EllipticCurvePrivateKey) and signer.curve.key_size == 384:
        return hashes.SHA384()
    return hashes.SHA256()
