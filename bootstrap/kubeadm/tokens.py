"""Bootstrap tokens, the detached JWS that signs ``cluster-info``, and the CA public-key pin.

Mirrors ``k8s.io/cluster-bootstrap`` (``token/api``, ``token/util``, ``token/jws``) and kubeadm's
``util/pubkeypin``. A token's secret half is a credential: it is never part of a ``repr``, and
``BootstrapToken`` is only turned back into text by asking for ``.value`` explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509

from bootstrap.kubeadm.configtypes import BootstrapTokenSpec
from bootstrap.kubeadm.pkiutil import public_key_of, spki
from kubeadm_verify.errors import UsageError

TOKEN_PATTERN = re.compile(r"\A([a-z0-9]{6})\.([a-z0-9]{16})\Z")
TOKEN_ID_PATTERN = re.compile(r"\A[a-z0-9]{6}\Z")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_TYPE = "bootstrap.kubernetes.io/token"  # noqa: S105 (a Secret type, not a secret)
SECRET_PREFIX = "bootstrap-token-"  # noqa: S105 (a name prefix, not a secret)
JWS_KEY_PREFIX = "jws-kubeconfig-"
_HASH_PREFIX = "sha256:"
_HASH_PATTERN = re.compile(r"\A[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class BootstrapToken:
    """``<id>.<secret>``; the id is public (it names the Secret), the secret is not."""

    id: str
    secret: str = field(repr=False)

    @property
    def value(self) -> str:
        """The whole token, for a join command or a kubeconfig: never for a log line."""
        return f"{self.id}.{self.secret}"

    @property
    def secret_name(self) -> str:
        return f"{SECRET_PREFIX}{self.id}"


def parse_token(text: str) -> BootstrapToken:
    """A token as written by a user; the error never repeats the text (it may be a real one)."""
    match = TOKEN_PATTERN.match(text.strip())
    if match is None:
        raise UsageError("the bootstrap token does not match [a-z0-9]{6}.[a-z0-9]{16}")
    return BootstrapToken(match.group(1), match.group(2))


def generate_token() -> BootstrapToken:
    """``GenerateBootstrapToken``: both halves drawn from [a-z0-9] by a CSPRNG."""

    def draw(length: int) -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(length))

    return BootstrapToken(draw(6), draw(16))


def token_for(spec: BootstrapTokenSpec) -> BootstrapToken:
    """The configured token, or a fresh one where the configuration leaves it empty."""
    return parse_token(spec.token) if spec.token else generate_token()


def token_secret_data(
    token: BootstrapToken, spec: BootstrapTokenSpec, now: datetime
) -> dict[str, str]:
    """``BootstrapTokenToSecret``'s data, unencoded; ``now`` must be timezone-aware."""
    data = {"token-id": token.id, "token-secret": token.secret}
    if spec.description:
        data["description"] = spec.description
    expiry = spec.expires or (now + spec.ttl if spec.ttl > timedelta(0) else None)
    if expiry is not None:
        data["expiration"] = rfc3339(expiry)
    for usage in spec.usages:
        data[f"usage-bootstrap-{usage}"] = "true"
    if spec.groups:
        data["auth-extra-groups"] = ",".join(spec.groups)
    return data


def rfc3339(moment: datetime) -> str:
    """Go's ``time.RFC3339``: seconds precision, ``Z`` for UTC."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def compute_detached_signature(content: str, token_id: str, token_secret: str) -> str:
    """``jws.ComputeDetachedSignature``: HS256 keyed by the secret, payload left out.

    The protected header is written by hand rather than through a JOSE library: the
    verifier (``DetachedTokenIsValid``) recomputes the whole string and compares it, so the
    header must be byte-for-byte go-jose's ``{"alg":"HS256","kid":"<id>"}`` (compact, keys
    sorted), which no library promises to reproduce. Token ids are [a-z0-9]{6}, so no escaping.
    """
    if TOKEN_ID_PATTERN.match(token_id) is None:
        raise ValueError("a bootstrap token id is six characters of [a-z0-9]")
    header = _b64url(b'{"alg":"HS256","kid":"' + token_id.encode("ascii") + b'"}')
    payload = _b64url(content.encode("utf-8"))
    mac = hmac.new(
        token_secret.encode("utf-8"), f"{header}.{payload}".encode("ascii"), hashlib.sha256
    ).digest()
    return f"{header}..{_b64url(mac)}"


def verify_detached_signature(
    content: str, token_id: str, token_secret: str, signature: str
) -> bool:
    """``DetachedTokenIsValid``: recompute and compare the whole string in constant time."""
    try:
        expected = compute_detached_signature(content, token_id, token_secret)
    except ValueError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def ca_cert_hash(cert: x509.Certificate) -> str:
    """``pubkeypin.Hash``: ``sha256:`` + hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return _HASH_PREFIX + hashlib.sha256(spki(public_key_of(cert))).hexdigest()


def normalise_ca_cert_hash(text: str) -> str:
    """A ``--discovery-token-ca-cert-hash`` as kubeadm accepts it (prefix case-insensitive)."""
    prefix, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if prefix.lower() != "sha256" or _HASH_PATTERN.match(digest) is None:
        raise UsageError(f"{text.strip()!r} is not a CA public key hash like sha256:<64 hex>")
    return _HASH_PREFIX + digest


def ca_cert_matches(cert: x509.Certificate, hashes: tuple[str, ...]) -> bool:
    """Whether the CA's public key is pinned by any of ``hashes``."""
    actual = ca_cert_hash(cert).encode("ascii")
    return any(
        hmac.compare_digest(actual, normalise_ca_cert_hash(pin).encode("ascii")) for pin in hashes
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
