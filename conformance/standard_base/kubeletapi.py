"""Requests straight to a kubelet's own API (its HTTPS port, 10250 under kubeadm), with the
kubelet's identity verified before anything is sent.

A kubelet's serving certificate is rarely signed by anything the client already trusts: kubeadm
leaves ``serverTLSBootstrap`` off, so the kubelet makes itself a CA and a certificate for its
hostname at first start and writes both into ``<cert dir>/kubelet.crt`` (v1.37.2
``cmd/kubelet/app/server.go`` ``InitializeTLS`` → client-go ``GenerateSelfSignedCertKey``: the
leaf names the hostname as its only SAN, then the CA). The trust anchor is therefore found in
this order, and a kubelet none of them verifies is not spoken to (:class:`Unverifiable`):

1. the cluster CA of the kubeconfig (a kubelet with a ``serverTLSBootstrap`` certificate);
2. the certificate file the kubelet itself serves from, read off the node's own disk through the
   API server (:mod:`conformance.standard_base.servingcert`).

Verification checks the chain and the hostname the certificate names (the Node's ``Hostname``
address), while the connection goes to the Node's ``InternalIP``.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

from conformance.standard_base.marker import Record
from kubeadm_verify.runner import WARNING_PROPERTY

TIMEOUT = urllib3.Timeout(connect=5.0, read=10.0)
PROBE_PATH = "/healthz"
"""What an anchor is tried with: an anonymous request, its answer ignored (the handshake is the
point)."""


class Unverifiable(Exception):
    """The kubelet could not be reached, or not be verified: nothing was (or may be) sent."""


@dataclass(frozen=True)
class Endpoint:
    """Where a node's kubelet serves, and the name its certificate must carry."""

    node: str
    hostname: str
    address: str
    port: int

    def __str__(self) -> str:
        return f"{self.node} ({self.address}:{self.port})"


@dataclass(frozen=True)
class Anchor:
    """Certificates (PEM) a kubelet's chain must end in, and where they came from."""

    pem: str
    source: str


def endpoint_of(node: Any) -> Endpoint | str:
    """The node's kubelet endpoint, or why the Node does not say where its kubelet is."""
    name = str(node.metadata.name)
    addresses = node.status.addresses or [] if node.status else []
    internal = next((a.address for a in addresses if a.type == "InternalIP"), None)
    hostname = next((a.address for a in addresses if a.type == "Hostname"), None) or name
    daemon = node.status.daemon_endpoints if node.status else None
    kubelet = daemon.kubelet_endpoint if daemon else None
    port = kubelet.port if kubelet else None
    if not internal:
        return f"{name}: the Node reports no InternalIP"
    if not port:
        return f"{name}: the Node reports no status.daemonEndpoints.kubeletEndpoint.Port"
    return Endpoint(name, str(hostname).lower(), str(internal), int(port))


def context(anchor: Anchor) -> ssl.SSLContext:
    """Chain and hostname checked, against ``anchor`` alone (not the machine's CA store)."""
    try:
        return ssl.create_default_context(cadata=anchor.pem)
    except ssl.SSLError as exc:
        raise Unverifiable(f"{anchor.source} holds no usable certificate: {exc}") from exc


def get(endpoint: Endpoint, anchor: Anchor, path: str, bearer: str | None = None) -> int:
    """The HTTP status the kubelet answers ``GET path`` with; the body is never kept (a PodList
    may carry Secrets' values in its env). ``bearer`` is sent only over a verified connection."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    pool = urllib3.HTTPSConnectionPool(
        endpoint.address,
        endpoint.port,
        ssl_context=context(anchor),
        server_hostname=endpoint.hostname,
        retries=False,
        timeout=TIMEOUT,
    )
    try:
        response = pool.request("GET", path, headers=headers, preload_content=False)
        response.drain_conn()
        response.release_conn()
        return int(response.status)
    except urllib3.exceptions.SSLError as exc:
        raise Unverifiable(
            f"{endpoint}: the kubelet's certificate does not verify against "
            f"{anchor.source} for hostname {endpoint.hostname}: "
            f"{_reason(exc)}"
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise Unverifiable(
            f"{endpoint}: the kubelet cannot be reached from here: {_reason(exc)}"
        ) from exc
    finally:
        pool.close()


def verifies(endpoint: Endpoint, anchor: Anchor) -> str | None:
    """None when the kubelet's certificate verifies against ``anchor``, else why not (raised
    :class:`Unverifiable` when the kubelet cannot be reached at all)."""
    try:
        get(endpoint, anchor, PROBE_PATH)
    except Unverifiable as exc:
        if isinstance(exc.__cause__, urllib3.exceptions.SSLError):
            return str(exc)
        raise
    return None


def cluster_ca(ca_file: str | None) -> Anchor | None:
    """The kubeconfig's CA as an anchor (None when the kubeconfig names no CA file)."""
    if not ca_file:
        return None
    try:
        return Anchor(Path(ca_file).read_text(), "the cluster CA")
    except OSError:
        return None


def _reason(exc: BaseException) -> str:
    """The innermost error's own words, on one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return " ".join(str(exc).split())[:200] or type(exc).__name__


@dataclass(frozen=True)
class Verdict:
    """What the kubelets answered: the unrefused (a failure) and the unverifiable (a warning)."""

    accepted: list[str]
    unchecked: list[str]
    refused: list[str]


def judge(
    answers: Sequence[tuple[Endpoint, int | str]],
    refusals: frozenset[int],
    explain: dict[int, str] | None = None,
) -> Verdict:
    """Sort each kubelet's answer: a status in ``refusals`` is refused, any other status was let
    through (``explain`` adds what such a status means), a string says why nothing was asked."""
    accepted, unchecked, refused = [], [], []
    for endpoint, answer in answers:
        if isinstance(answer, str):
            unchecked.append(answer)
        elif answer in refusals:
            refused.append(f"{endpoint} {answer}")
        else:
            meaning = (explain or {}).get(answer, "")
            accepted.append(f"{endpoint} answered {answer}{': ' + meaning if meaning else ''}")
    return Verdict(accepted, unchecked, refused)


def report(verdict: Verdict, who: str, record_property: Record) -> None:
    """Fail on a kubelet that let ``who`` through; else warn, naming them, when some kubelets
    could not be asked: a pass says every kubelet was asked and refused."""
    assert not verdict.accepted, f"a kubelet let {who} through: {'; '.join(verdict.accepted)}"
    if verdict.unchecked:
        checked = f" (refused by {', '.join(verdict.refused)})" if verdict.refused else ""
        record_property(
            WARNING_PROPERTY,
            f"cannot determine for every kubelet{checked}: " + "; ".join(verdict.unchecked),
        )
