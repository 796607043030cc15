"""Token discovery's checks, and recognising the node parts' version output."""

from __future__ import annotations

import base64

import pytest

from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, compute_detached_signature
from bootstrap.runtime.nodes.discovery import verify_cluster_info
from bootstrap.upstream.nodeparts.parts import version_problem
from kubeadm_verify.errors import BootstrapError

TOKEN = "abcdef.0123456789abcdef"
CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _info(ca: bytes = CA, token: str = TOKEN) -> dict[str, str]:
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: ''\n  cluster:\n"
        f"    certificate-authority-data: {base64.b64encode(ca).decode()}\n"
        "    server: https://192.0.2.2:6443\n"
    )
    token_id, secret = token.split(".")
    return {
        "kubeconfig": kubeconfig,
        f"{JWS_KEY_PREFIX}{token_id}": compute_detached_signature(kubeconfig, token_id, secret),
    }


def test_signed_cluster_info_with_our_ca_passes() -> None:
    verify_cluster_info(_info(), TOKEN, CA)


def test_signature_by_another_secret_fails_without_showing_the_token() -> None:
    info = _info(token="abcdef.ffffffffffffffff")
    with pytest.raises(BootstrapError, match="does not verify") as caught:
        verify_cluster_info(info, TOKEN, CA)
    assert "0123456789abcdef" not in str(caught.value)


def test_unsigned_for_our_token_id_fails() -> None:
    with pytest.raises(BootstrapError, match="no signature"):
        verify_cluster_info(_info(token="zzzzzz.0123456789abcdef"), TOKEN, CA)


def test_another_ca_fails() -> None:
    with pytest.raises(BootstrapError, match="CA"):
        verify_cluster_info(_info(ca=b"other"), TOKEN, CA)


@pytest.mark.parametrize(
    ("name", "output"),
    [
        ("containerd", "containerd github.com/containerd/containerd/v2 v2.2.9 \n"),
        ("ctr", "ctr github.com/containerd/containerd/v2 v2.2.9\n"),
        ("containerd-shim-runc-v2", "containerd-shim-runc-v2:\n  Version:  v2.2.9\n"),
        ("coredns", "CoreDNS-1.14.6\nlinux/amd64, go1.26.8, \n"),
        ("agnhost", "agnhost version 2.66.1\n"),
        ("pause", "pause 3.10.2\n"),
    ],
)
def test_expected_versions_are_recognised(name: str, output: str) -> None:
    assert version_problem(name, output) is None


def test_wrong_version_is_named() -> None:
    output = "containerd github.com/containerd/containerd/v2 v2.2.10"
    problem = version_problem("containerd", output)
    assert problem is not None and "v2.2.9" in problem
