"""node: every real kubelet's own API refuses who may not use it.

The kubelet's HTTPS port runs commands in containers and reads every pod's spec: kubeadm's
KubeletConfiguration turns anonymous requests off and hands authorisation to the API server
(``authorization.mode: Webhook``). Each request here goes straight to a kubelet (the Node's
``InternalIP`` and ``status.daemonEndpoints.kubeletEndpoint.Port``), and only over a connection
whose certificate verified (:mod:`conformance.standard_base.kubeletapi`); a kubelet that cannot be
reached or verified from where the suite runs is reported as a warning saying why, never a pass.
Upstream's nearest tests (``[sig-auth] NodeAuthenticator``) are not [Conformance].

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else (never a token).
"""

from __future__ import annotations

from conformance.standard_base.kube import Kube
from conformance.standard_base.kubeletapi import (
    Anchor,
    Endpoint,
    Unverifiable,
    cluster_ca,
    endpoint_of,
    get,
    judge,
    report,
)
from conformance.standard_base.marker import Record, standard_base
from conformance.standard_base.nodelist import real_node_objects
from conformance.standard_base.servingcert import anchors

PATH = "/pods"
TOKEN_SECONDS = 600  # the shortest expiry the TokenRequest API grants


def _ask(kube: Kube, namespace: str, bearer: str | None) -> list[tuple[Endpoint, int | str]]:
    """Every real node's kubelet's answer to ``GET /pods``, or why it was not asked."""
    answers: list[tuple[Endpoint, int | str]] = []
    endpoints = []
    for node in real_node_objects(kube):
        found = endpoint_of(node)
        if isinstance(found, str):
            answers.append((Endpoint(str(node.metadata.name), "", "", 0), found))
        else:
            endpoints.append(found)
    trusted = anchors(
        kube, namespace, endpoints, cluster_ca(kube.api_client.configuration.ssl_ca_cert)
    )
    for endpoint in endpoints:
        anchor = trusted[endpoint.node]
        answers.append((endpoint, _answer(endpoint, anchor, bearer)))
    return answers


def _answer(endpoint: Endpoint, anchor: Anchor | str, bearer: str | None) -> int | str:
    if isinstance(anchor, str):
        return anchor
    try:
        return get(endpoint, anchor, PATH, bearer)
    except Unverifiable as exc:
        return str(exc)


@standard_base(id="node/kubelet-api-refuses-anonymous", needs=["real-kubelet"], timeout=30)
def test_kubelet_api_refuses_anonymous(
    kube: Kube, kv_namespace: str, record_property: Record
) -> None:
    """Every real node's kubelet answers a request without credentials (``GET /pods`` on its
    own port) with 401, or 403 when anonymous requests are on but not authorised."""
    verdict = judge(_ask(kube, kv_namespace, None), frozenset({401, 403}))
    report(verdict, "an anonymous request", record_property)


@standard_base(id="node/kubelet-api-refuses-unauthorised", needs=["real-kubelet"], timeout=30)
def test_kubelet_api_refuses_unauthorised(
    kube: Kube, kv_namespace: str, record_property: Record
) -> None:
    """Every real node's kubelet answers 403 to ``GET /pods`` from a ServiceAccount that holds
    no right on ``nodes/proxy`` (a bound token, ten minutes long): the kubelet authenticates the
    token and asks the API server, which refuses."""
    account = "kubelet-api-nobody"
    kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": account}})
    request = kube.core.create_namespaced_service_account_token(
        account, kv_namespace, {"spec": {"expirationSeconds": TOKEN_SECONDS}}
    )
    token = str(request.status.token)
    explain = {
        401: "the kubelet did not authenticate a valid ServiceAccount token, so no "
        "authorisation was asked (authentication.webhook.enabled is off?)"
    }
    verdict = judge(_ask(kube, kv_namespace, token), frozenset({403}), explain)
    report(verdict, f"ServiceAccount {kv_namespace}/{account}", record_property)
