"""The ``certs`` phase: kubeadm's CAs, certificates and ``sa`` key pair, one function each.

Each generator is idempotent the way kubeadm's phases are: a CA that exists is used as it is
(with or without its key), a certificate that exists is used if its CA signed it, and only what
is missing is generated. Files land where kubeadm puts them under ``/etc/kubernetes/pki``.
We refuse a little more than kubeadm does (a leaf whose key does not match, or that no longer
covers the SANs the configuration asks for), because a stale file there fails much later and far
less clearly, when a component refuses to start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from cryptography import x509

from bootstrap.kubeadm.certspec import CERTS, SERVER_AUTH, AltNames, CertSpec, cert_spec
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.files import write_private, write_public
from bootstrap.kubeadm.pkiutil import (
    PrivateKey,
    encode_certificate,
    encode_private_key,
    encode_public_key,
    is_ca,
    key_matches,
    load_certificate,
    load_private_key,
    new_ca_certificate,
    new_private_key,
    new_signed_certificate,
    signed_by,
)
from kubeadm_verify.errors import BootstrapError

Log = Callable[[str], None]
CertPhase = Callable[[BootstrapConfig, Path, Log], None]
SA_BASE_NAME = "sa"


def cert_path(pki_dir: Path, base_name: str) -> Path:
    return pki_dir / f"{base_name}.crt"


def key_path(pki_dir: Path, base_name: str) -> Path:
    return pki_dir / f"{base_name}.key"


def load_ca(pki_dir: Path, base_name: str) -> tuple[x509.Certificate, PrivateKey]:
    """A CA certificate and its key, for signing; BootstrapError says what is missing."""
    cert = _existing_cert(pki_dir, base_name)
    if cert is None:
        raise BootstrapError(f"couldn't load the {base_name} certificate authority from {pki_dir}")
    if not is_ca(cert):
        raise BootstrapError(f"certificate {base_name} is not a certificate authority")
    key = _existing_key(pki_dir, base_name)
    if key is None:
        raise BootstrapError(
            f"the {base_name} certificate authority has no key in {pki_dir} "
            "(external CA): the certificates it signs must be provided"
        )
    if not key_matches(cert, key):
        raise BootstrapError(
            f"{key_path(pki_dir, base_name)} is not the key of {cert_path(pki_dir, base_name)}"
        )
    return cert, key


def create_ca(spec: CertSpec, config: BootstrapConfig, pki_dir: Path, log: Log) -> None:
    """``runCAPhase``: reuse an existing CA (keyless too), or generate a self-signed one."""
    cert = _existing_cert(pki_dir, spec.base_name)
    if cert is not None:
        if not is_ca(cert):
            raise BootstrapError(f"certificate {spec.base_name} is not a CA")
        _warn_period(spec.base_name, cert, log)
        keyless = "" if _existing_key(pki_dir, spec.base_name) else "keyless "
        log(f"[certs] Using existing {spec.base_name} {keyless}certificate authority")
        return
    _note_orphan_key(pki_dir, spec.base_name, log)
    log(f'[certs] Generating "{spec.base_name}" certificate and key')
    key = new_private_key(config.cluster.encryption_algorithm)
    ca = new_ca_certificate(
        key, spec.subject_name(config), config.cluster.ca_certificate_validity, datetime.now(UTC)
    )
    _write_pair(pki_dir, spec.base_name, ca, key)


def create_leaf(spec: CertSpec, config: BootstrapConfig, pki_dir: Path, log: Log) -> None:
    """``runCertPhase``: reuse a certificate its CA signed, or sign a new one with that CA."""
    assert spec.ca_name is not None, f"{spec.name} is a CA"
    ca_base = cert_spec(spec.ca_name).base_name
    expected = spec.alt_names(config) if spec.alt_names else AltNames()
    cert = _existing_cert(pki_dir, spec.base_name)
    if cert is not None:
        _check_existing_leaf(spec.base_name, cert, expected, pki_dir, ca_base)
        _warn_period(spec.base_name, cert, log)
        log(f"[certs] Using existing {spec.base_name} certificate and key on disk")
        return
    _note_orphan_key(pki_dir, spec.base_name, log)
    ca_cert, ca_key = load_ca(pki_dir, ca_base)
    log(f'[certs] Generating "{spec.base_name}" certificate and key')
    key = new_private_key(config.cluster.encryption_algorithm)
    subject = (spec.subject_name(config), spec.organizations)
    leaf = new_signed_certificate(
        key.public_key(),
        ca_cert,
        ca_key,
        subject,
        spec.usages,
        expected,
        config.cluster.certificate_validity,
        datetime.now(UTC),
    )
    _write_pair(pki_dir, spec.base_name, leaf, key)
    if SERVER_AUTH in spec.usages:
        dns, ips = " ".join(expected.dns), " ".join(str(ip) for ip in expected.ips)
        log(
            f"[certs] {spec.base_name} serving cert is signed for DNS names [{dns}] and IPs [{ips}]"
        )


def create_sa(config: BootstrapConfig, pki_dir: Path, log: Log) -> None:
    """The service-account signing key pair: ``sa.key`` and ``sa.pub``, no certificate."""
    key = _existing_key(pki_dir, SA_BASE_NAME)
    if key is not None:
        public = pki_dir / f"{SA_BASE_NAME}.pub"
        if not public.exists():
            write_private(public, encode_public_key(key.public_key()))
        log(f'[certs] Using the existing "{SA_BASE_NAME}" key')
        return
    log(f'[certs] Generating "{SA_BASE_NAME}" key and public key')
    key = new_private_key(config.cluster.encryption_algorithm)
    write_private(key_path(pki_dir, SA_BASE_NAME), encode_private_key(key))
    # kubeadm writes the public key with keyutil.WriteKey, so it is 0600 like the private one.
    write_private(pki_dir / f"{SA_BASE_NAME}.pub", encode_public_key(key.public_key()))


def create_all(config: BootstrapConfig, pki_dir: Path, log: Log) -> None:
    """``kubeadm init phase certs all``."""
    log(f'[certs] Using certificateDir folder "{pki_dir}"')
    for phase in CERT_PHASES.values():
        phase(config, pki_dir, log)


def _phase(spec: CertSpec) -> CertPhase:
    def run(config: BootstrapConfig, pki_dir: Path, log: Log) -> None:
        if spec.is_ca:
            create_ca(spec, config, pki_dir, log)
        else:
            create_leaf(spec, config, pki_dir, log)

    run.__doc__ = f"Generate {spec.description}."
    return run


CERT_PHASES: Mapping[str, CertPhase] = MappingProxyType(
    {**{spec.name: _phase(spec) for spec in CERTS}, SA_BASE_NAME: create_sa}
)
"""``certs/<name>`` sub-phases in kubeadm's order, each ``(config, pki_dir, log)``."""


def _existing_cert(pki_dir: Path, base_name: str) -> x509.Certificate | None:
    path = cert_path(pki_dir, base_name)
    if not path.exists():
        return None
    try:
        return load_certificate(path)
    except (OSError, ValueError) as error:
        raise BootstrapError(f"couldn't load the certificate file {path}: {error}") from error


def _existing_key(pki_dir: Path, base_name: str) -> PrivateKey | None:
    path = key_path(pki_dir, base_name)
    if not path.exists():
        return None
    try:
        return load_private_key(path)
    except (OSError, ValueError, TypeError) as error:
        raise BootstrapError(f"couldn't load the private key file {path}: {error}") from error


def _note_orphan_key(pki_dir: Path, base_name: str, log: Log) -> None:
    """A key without its certificate is what a run killed between the two writes leaves.

    kubeadm stops there; we generate the pair again, so an interrupted bootstrap can be rerun.
    """
    if key_path(pki_dir, base_name).exists():
        log(f"[certs] WARNING: {key_path(pki_dir, base_name)} has no certificate, replacing it")


def _check_existing_leaf(
    base_name: str, cert: x509.Certificate, expected: AltNames, pki_dir: Path, ca_base: str
) -> None:
    ca_cert = _existing_cert(pki_dir, ca_base)
    if ca_cert is None:
        raise BootstrapError(f"couldn't load CA certificate {ca_base} to check {base_name}")
    if not signed_by(cert, ca_cert):
        raise BootstrapError(f"certificate {base_name} not signed by CA certificate {ca_base}")
    key = _existing_key(pki_dir, base_name)
    if key is None or not key_matches(cert, key):
        raise BootstrapError(f"certificate {base_name} has no matching key in {pki_dir}")
    missing = _missing_sans(cert, expected)
    if missing:
        raise BootstrapError(
            f"certificate {base_name} is invalid: it does not cover "
            f"{', '.join(missing)}; remove it to have it generated again"
        )


def _missing_sans(cert: x509.Certificate, expected: AltNames) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        dns, ips = set(), set()
    else:
        dns, ips = (
            set(san.get_values_for_type(x509.DNSName)),
            set(san.get_values_for_type(x509.IPAddress)),
        )
    wildcards = {name[2:] for name in dns if name.startswith("*.")}
    missing = [
        name for name in expected.dns if name not in dns and name.partition(".")[2] not in wildcards
    ]
    return missing + [str(ip) for ip in expected.ips if ip not in ips]


def _warn_period(base_name: str, cert: x509.Certificate, log: Log) -> None:
    now = datetime.now(UTC)
    if now < cert.not_valid_before_utc:
        log(f"[certs] WARNING: the certificate {base_name} is not valid yet")
    elif now > cert.not_valid_after_utc:
        log(f"[certs] WARNING: the certificate {base_name} has expired")


def _write_pair(pki_dir: Path, base_name: str, cert: x509.Certificate, key: PrivateKey) -> None:
    """Key first, as kubeadm's ``WriteCertAndKey``: a certificate never exists without its key."""
    write_private(key_path(pki_dir, base_name), encode_private_key(key))
    write_public(cert_path(pki_dir, base_name), encode_certificate(cert))
