"""Bootstrap tokens, the detached JWS (upstream vectors) and the CA public-key pin."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from bootstrap.kubeadm.configtypes import BootstrapTokenSpec
from bootstrap.kubeadm.tokens import (
    BootstrapToken,
    ca_cert_hash,
    ca_cert_matches,
    compute_detached_signature,
    generate_token,
    normalise_ca_cert_hash,
    parse_token,
    rfc3339,
    token_for,
    token_secret_data,
    verify_detached_signature,
)
from kubeadm_verify.errors import UsageError
from tests.unit.bootstrap.conftest import Built, openssl_raw

# staging/src/k8s.io/cluster-bootstrap/token/jws/jws_test.go
CONTENT = "Hello from the other side. I must have called a thousand times."
SECRET = "my voice is my passcode"
KID = "joshua"
VECTORS = [
    (
        CONTENT,
        SECRET,
        "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8",
    ),
    (
        "",
        SECRET,
        "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk",
    ),
    (
        CONTENT,
        "",
        "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8",
    ),
]


@pytest.mark.parametrize(("content", "secret", "signature"), VECTORS)
def test_the_upstream_jws_vectors(content: str, secret: str, signature: str) -> None:
    assert compute_detached_signature(content, KID, secret) == signature
    assert verify_detached_signature(content, KID, secret, signature)


@pytest.mark.parametrize(
    ("content", "kid", "secret", "signature"),
    [
        (CONTENT, KID, SECRET, VECTORS[0][2] + "foo"),
        (CONTENT + ".", KID, SECRET, VECTORS[0][2]),
        (CONTENT, KID, SECRET + "!", VECTORS[0][2]),
        (CONTENT, "joshub", SECRET, VECTORS[0][2]),
        (CONTENT, "JOSHUA", SECRET, VECTORS[0][2]),
        # The same MAC under a header with the keys the other way round: valid JWS, not kubeadm's.
        (
            CONTENT,
            KID,
            SECRET,
            "eyJraWQiOiJqb3NodWEiLCJhbGciOiJIUzI1NiJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8",
        ),
        (CONTENT, KID, SECRET, "ünïcode"),
    ],
)
def test_tampered_signatures_are_rejected(
    content: str, kid: str, secret: str, signature: str
) -> None:
    assert not verify_detached_signature(content, kid, secret, signature)


def test_generated_tokens_have_kubeadms_shape_and_differ() -> None:
    tokens = [generate_token() for _ in range(200)]
    assert all(re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", t.value) for t in tokens)
    assert len({t.value for t in tokens}) == 200
    used = set("".join(t.value for t in tokens)) - {"."}
    assert used <= set("abcdefghijklmnopqrstuvwxyz0123456789")


def test_a_token_never_shows_its_secret_in_repr_or_errors() -> None:
    token = parse_token("abcdef.0123456789abcdef")
    assert (token.id, token.secret_name) == ("abcdef", "bootstrap-token-abcdef")
    assert "0123456789abcdef" not in repr(token)
    with pytest.raises(UsageError) as caught:
        parse_token("ABCDEF.0123456789abcdef")
    assert "ABCDEF" not in str(caught.value)
    assert token_for(BootstrapTokenSpec(token="abcdef.0123456789abcdef")) == token
    assert token_for(BootstrapTokenSpec()) != token


def test_secret_data_follows_bootstrap_token_to_secret() -> None:
    token = BootstrapToken("abcdef", "0123456789abcdef")
    now = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)
    spec = BootstrapTokenSpec(description="d")
    assert token_secret_data(token, spec, now) == {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "description": "d",
        "expiration": "2026-11-25T10:00:00Z",
        "usage-bootstrap-signing": "true",
        "usage-bootstrap-authentication": "true",
        "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
    }
    forever = token_secret_data(
        token, BootstrapTokenSpec(ttl=timedelta(0), usages=("signing",), groups=()), now
    )
    assert forever == {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-signing": "true",
    }
    fixed = BootstrapTokenSpec(expires=datetime(2030, 1, 1, tzinfo=UTC))
    assert token_secret_data(token, fixed, now)["expiration"] == "2030-01-01T00:00:00Z"
    assert rfc3339(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize("name", ["built", "built_p384"])
def test_the_ca_pin_equals_openssls_spki_digest(name: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(name)
    ca_path = built.pki / "ca.crt"
    pem = openssl_raw("x509", "-pubkey", "-noout", "-in", str(ca_path))
    der = openssl_raw("pkey", "-pubin", "-outform", "der", stdin=pem)
    expected = "sha256:" + hashlib.sha256(der).hexdigest()
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    assert ca_cert_hash(ca) == expected
    assert ca_cert_matches(ca, ("SHA256:" + expected[7:].upper(),))
    other = x509.load_pem_x509_certificate((built.pki / "etcd/ca.crt").read_bytes())
    assert not ca_cert_matches(other, (expected,))


@pytest.mark.parametrize("text", ["sha256:abc", "md5:" + "a" * 64, "a" * 64, "sha256:" + "g" * 64])
def test_malformed_ca_hashes_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="is not a CA public key hash"):
        normalise_ca_cert_hash(text)
