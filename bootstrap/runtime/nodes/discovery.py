"""What a joining node learns from the cluster, as ``kubeadm join`` learns it with a token.

1. ``kube-public/cluster-info`` (readable anonymously): its kubeconfig must carry a
   ``jws-kubeconfig-<token id>`` signature that verifies with the token, and its CA must be the
   one we hold for the cluster (kubeadm's CA pin).
2. With the token as the credential (group ``system:bootstrappers:kubeadm:default-node-token``):
   ``kube-system/kubeadm-config`` (the ClusterConfiguration) and ``kube-system/kubelet-config``.

A failure at any step names the step; the token itself never appears in a message.
"""

from __future__ import annotations

import base64
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, parse_token, verify_detached_signature
from kubeadm_verify import yamlread
from kubeadm_verify.access import ApiError, Client, WaitTimedOut, wait_for
from kubeadm_verify.access.kubeconfig import parse
from kubeadm_verify.errors import BootstrapError, InputError

CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"
KUBEADM_CONFIG = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config"
KUBELET_CONFIG = "/api/v1/namespaces/kube-system/configmaps/kubelet-config"
TIMEOUT = 10.0
SIGNATURE_WAIT = 60.0
"""The controller-manager's bootstrap signer signs cluster-info a moment after ``init``;
``kubeadm join`` polls for the signature too."""


class Unsigned(BootstrapError):
    """cluster-info carries no signature for the token (yet)."""


@dataclass(frozen=True)
class Discovered:
    server: str
    ca_pem: bytes
    cluster: dict[str, Any]
    """The ClusterConfiguration."""
    kubelet: dict[str, Any]
    """The KubeletConfiguration every node starts from."""


def _get(server: str, ca_file: Path, path: str, token: str | None = None) -> dict[str, Any]:
    """One GET as ``kubeadm join`` makes it: verified against the CA we hold, anonymously or
    with the bootstrap token; bounded as every exchange is (``access.Client``)."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
    except (ssl.SSLError, OSError) as error:
        raise BootstrapError(f"join: cannot use the CA {ca_file}: {error}") from error
    with Client(server, context, token=token) as client:
        try:
            answer = client.raw("GET", path, deadline_s=TIMEOUT)
        except ApiError as error:
            raise BootstrapError(f"join: cannot reach {server}: {error}") from error
    if answer.status != 200:
        who = "with the bootstrap token" if token else "anonymously"
        raise BootstrapError(f"join: GET {path} {who}: HTTP {answer.status}")
    try:
        data = json.loads(answer.data)
    except ValueError as error:
        raise BootstrapError(f"join: GET {path}: the answer is not JSON") from error
    return data if isinstance(data, dict) else {}


def verify_cluster_info(data: dict[str, str], token: str, ca_pem: bytes) -> None:
    """The JWS over the kubeconfig, and the CA inside it, as kubeadm's token discovery."""
    parsed = parse_token(token)
    content = data.get("kubeconfig", "")
    signature = data.get(f"{JWS_KEY_PREFIX}{parsed.id}")
    if signature is None:
        raise Unsigned(f"join: cluster-info has no signature for token id {parsed.id}")
    if not verify_detached_signature(content, parsed.id, parsed.secret, signature):
        raise BootstrapError(
            f"join: cluster-info's signature for token id {parsed.id} does not verify"
        )
    try:
        clusters = parse(content, "in cluster-info").get("clusters") or [{}]
    except InputError as error:
        raise BootstrapError(f"join: {error}") from error
    found = base64.b64decode(
        str((clusters[0].get("cluster") or {}).get("certificate-authority-data", ""))
    )
    if found.strip() != ca_pem.strip():
        raise BootstrapError("join: cluster-info's CA is not the cluster's CA")


def _signed_cluster_info(
    server: str, ca_file: Path, token: str, ca_pem: bytes, wait: float
) -> None:
    def verified() -> bool:
        info = _get(server, ca_file, CLUSTER_INFO)
        try:
            verify_cluster_info(dict(info.get("data") or {}), token, ca_pem)
        except Unsigned as unsigned:
            failures.append(unsigned)
            return False
        return True

    failures: list[Unsigned] = []
    try:
        wait_for(verified, wait, interval=0.2, what="signed cluster-info")
    except WaitTimedOut:
        raise failures[-1] from None


def discover(server: str, ca_file: Path, token: str, wait: float = SIGNATURE_WAIT) -> Discovered:
    ca_pem = ca_file.read_bytes()
    _signed_cluster_info(server, ca_file, token, ca_pem, wait)
    kubeadm = dict(_get(server, ca_file, KUBEADM_CONFIG, token).get("data") or {})
    kubelet = dict(_get(server, ca_file, KUBELET_CONFIG, token).get("data") or {})
    cluster = yamlread.load(kubeadm.get("ClusterConfiguration", "")) or {}
    base = yamlread.load(kubelet.get("kubelet", "")) or {}
    if not base:
        raise BootstrapError("join: kube-system/kubelet-config has no kubelet configuration")
    return Discovered(server, ca_pem, cluster, base)
