"""The dl.k8s.io URL layout and the published checksum files we accept (and refuse)."""

from __future__ import annotations

import pytest

from bootstrap.upstream.download import parse_checksum, release_url
from kubeadm_verify.errors import FetchError

HEX256 = "0123456789abcdef" * 4
HEX512 = "fedcba9876543210" * 8


@pytest.mark.parametrize("mirror", ["https://dl.k8s.io", "https://dl.k8s.io/"])
def test_release_url_layout(mirror: str) -> None:
    assert release_url(mirror, "v1.37.2", "amd64", "kube-apiserver") == (
        "https://dl.k8s.io/release/v1.37.2/bin/linux/amd64/kube-apiserver"
    )


def test_release_url_keeps_a_mirror_path_prefix() -> None:
    assert release_url("http://127.0.0.1:8080/k8s", "v1.37.2", "arm64", "kubectl") == (
        "http://127.0.0.1:8080/k8s/release/v1.37.2/bin/linux/arm64/kubectl"
    )


@pytest.mark.parametrize(
    "text",
    [
        HEX256,
        HEX256 + "\n",
        f"{HEX256}  kubectl\n",
        f"{HEX256} *kubectl",
        f"{HEX256}  ./bin/kubectl",
    ],
)
def test_accepted_sha256_forms(text: str) -> None:
    assert parse_checksum(text, "sha256", "kubectl") == HEX256


def test_sha512_form() -> None:
    assert parse_checksum(f"{HEX512}  kubectl\n", "sha512", "kubectl") == HEX512


def test_a_list_picks_the_line_of_the_file() -> None:
    other = "f" * 64
    text = f"{other}  kube-proxy\n{HEX256}  kubectl\n"
    assert parse_checksum(text, "sha256", "kubectl") == HEX256


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (HEX256.upper(), "lowercase hex"),
        (HEX256[:-1], "lowercase hex"),
        (HEX256 + "0", "lowercase hex"),
        (HEX512, "lowercase hex"),  # a sha512 where a sha256 belongs
        ("", "empty"),
        ("  \n", "empty"),
        (f"{HEX256}  kube-proxy", "does not list kubectl"),
        ("<html>Not Found</html>", "lowercase hex"),
    ],
)
def test_refused_checksum_files(text: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        parse_checksum(text, "sha256", "kubectl")


def test_two_bare_digests_are_ambiguous() -> None:
    with pytest.raises(FetchError, match="does not list"):
        parse_checksum(f"{HEX256}\n{'a' * 64}\n", "sha256", "kubectl")
