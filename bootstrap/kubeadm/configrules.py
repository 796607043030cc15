"""kubeadm's validation rules for the fields whose values it checks beyond their type.

Each rule follows ``cmd/kubeadm/app/apis/kubeadm/validation`` (and the defaulting that runs
before it) in its order and, where stable, its words, so a refusal reads like kubeadm's.
"""

from __future__ import annotations

import re

from bootstrap.kubeadm.configfields import Fields
from bootstrap.kubeadm.configtypes import ExternalEtcd
from kubeadm_verify.errors import UsageError
from kubeadm_verify.pins import KUBERNETES_VERSION

_CRI_SCHEME = "unix"
# Compiled at first use (re's own cache), not on import: most runs never need it, and the
# node tier's start is timed against kubeadm's.
_SCHEME = r"\A([A-Za-z][A-Za-z0-9+.-]*):"


def minimum_control_plane_version() -> tuple[int, int, int]:
    """kubeadm's ``MinimumControlPlaneVersion``: one minor below kubeadm's own (v1.37 → v1.36.0)."""
    major, minor = (int(part) for part in KUBERNETES_VERSION.lstrip("v").split(".")[:2])
    return major, minor - 1, 0


def external_etcd(etcd: Fields) -> ExternalEtcd:
    """kubeadm's ``ValidateEtcd`` for ``etcd.external``, in its order and words."""
    fields = etcd.child("external")
    result = ExternalEtcd(
        endpoints=fields.strings("endpoints"),
        ca_file=fields.string("caFile"),
        cert_file=fields.string("certFile"),
        key_file=fields.string("keyFile"),
    )
    where = fields.where("").rstrip(".")
    if bool(result.cert_file) != bool(result.key_file):
        raise UsageError(
            f"{where}: either both or none of .Etcd.External.CertFile and "
            ".Etcd.External.KeyFile must be set"
        )
    if result.cert_file and not result.ca_file:
        raise UsageError(
            f"{where}: setting .Etcd.External.CertFile and .Etcd.External.KeyFile "
            "requires .Etcd.External.CAFile"
        )
    if not result.endpoints:
        raise UsageError(f"{fields.where('endpoints')}: at least one endpoint must be specified")
    https = bool(result.ca_file or result.cert_file or result.key_file)
    for endpoint in result.endpoints:
        url(endpoint, https, fields.where("endpoints"))
    for endpoint in fields.strings("httpEndpoints"):
        url(endpoint, False, fields.where("httpEndpoints"))
    for key, path in (
        ("caFile", result.ca_file),
        ("certFile", result.cert_file),
        ("keyFile", result.key_file),
    ):
        if path and not path.startswith("/"):
            raise UsageError(f"{fields.where(key)}: {path!r} is not an absolute path")
    return result


def url(text: str, https: bool, where: str) -> None:
    """Go's ``url.Parse`` takes a scheme only where the text starts with one (a letter)."""
    match = re.match(_SCHEME, text)
    scheme = match.group(1) if match else ""
    if https and scheme != "https":
        raise UsageError(f"{where}: {text!r}: the URL must be using the HTTPS scheme")
    if not scheme:
        raise UsageError(f"{where}: {text!r}: the URL without scheme is not allowed")


def cri_socket(fields: Fields) -> str:
    """kubeadm's defaulting then ``ValidateSocketPath``: anything not starting with ``unix`` gets
    ``unix://`` put in front (kubeadm warns that this is deprecated), then the scheme must be
    ``unix``."""
    text = fields.string("criSocket").strip()
    if not text:
        return ""
    if not text.startswith(_CRI_SCHEME):
        return f"{_CRI_SCHEME}://{text}"
    match = re.match(_SCHEME, text)
    scheme = match.group(1) if match else ""
    if scheme != _CRI_SCHEME:
        raise UsageError(
            f"{fields.where('criSocket')}: {text!r}: only URL scheme "
            f"{_CRI_SCHEME!r} is supported, got {scheme!r}"
        )
    return text


__all__ = ["cri_socket", "external_etcd", "minimum_control_plane_version", "url"]
