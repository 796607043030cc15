"""ServiceAccount tokens read as a relying party reads them: claims, and a signature checked
against the issuer's published keys.

A token is a JWS (RFC 7515) in compact form; the API server publishes its verification keys as a
JWK Set (RFC 7517) at the ``jwks_uri`` of its OpenID discovery document. kubeadm's ``sa.key`` is
RSA (RS256) by default and ECDSA P-256 (ES256) with ``encryptionAlgorithm: ECDSA-P256``; both are
verified here with ``cryptography``. The token itself is a credential: nothing here returns or
formats it, only its claims and header.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(text: str) -> int:
    return int.from_bytes(b64url(text), "big")


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and the claims of a compact JWS, unverified."""
    pieces = token.split(".")
    assert len(pieces) == 3, f"the token has {len(pieces)} dot-separated parts, not 3 (a JWS)"
    header, claims = json.loads(b64url(pieces[0])), json.loads(b64url(pieces[1]))
    assert isinstance(header, dict) and isinstance(claims, dict), "the token's parts are not JSON"
    return header, claims


def verifies(token: str, jwk: dict[str, Any]) -> bool:
    """Whether ``jwk`` (an RSA or P-256 public key) verifies the token's signature."""
    signed, _, signature_text = token.rpartition(".")
    signature, data = b64url(signature_text), signed.encode()
    try:
        if jwk.get("kty") == "RSA":
            rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key().verify(
                signature, data, padding.PKCS1v15(), hashes.SHA256()
            )
            return True
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256" and len(signature) == 64:
            point = ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), ec.SECP256R1())
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            point.public_key().verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, KeyError, ValueError):
        return False
    return False
