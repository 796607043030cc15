"""What the cluster can give the suite, found out once per session.

A need says what kind of cluster a test needs, never whether the cluster is healthy. So an unmet
need is one of two things. A cluster of another kind (every node simulated by kwok, a user who is
not cluster-admin) cannot run the test: it is skipped with the reason. A cluster of the right kind
that does not work (real nodes none of which is Ready, no Node at all, real nodes and a ``kube-dns``
without a ready endpoint) is broken: the test fails, saying what is missing. When in doubt, fail:
a skip must never hide a fault.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import Need
from conformance.standard_base.nodelist import list_nodes
from conformance.standard_base.nodes import (
    describe,
    is_ready,
    is_simulated,
    real_nodes,
    schedulable,
)
from kubeadm_verify import access

SETTLE_S = 30.0
"""How long a freshly started cluster may take to lift its not-ready taints and make CoreDNS
ready (kube-controller-manager's node monitor runs every 5 s; CoreDNS's readiness probe every
10 s) before what is missing is judged broken."""
SETTLE_POLL_S = 1.0
READ_TIMEOUT = (5.0, 10.0)
"""connect, read: a judgement's requests are small reads; none may hold the verdicts up long."""
JUDGE_S = SETTLE_S + 30.0
"""The most :func:`detect` takes on a cluster that answers: the settling time, then one last
round of reads (a few requests, each bounded by :data:`READ_TIMEOUT`). The suite gives the test
that first asks for the verdicts this much more time, so the judgement never runs into a test's
own timeout (:mod:`conformance.standard_base.conftest`)."""
DNS_NAMESPACE = "kube-system"
DNS_SERVICE = "kube-dns"
DNS_POD_SELECTOR = "k8s-app=kube-dns"  # kubeadm's CoreDNS Deployment labels its pods so
NO_NODE = (
    "the cluster has no Node at all: nothing can run a pod (kubeadm init registers the "
    "control-plane node, kubeadm join each worker)"
)


@dataclass(frozen=True)
class Unmet:
    """Why a need is not met; ``broken`` when the cluster should meet it (a failure, not a skip)."""

    reason: str
    broken: bool


def broken(reason: str) -> Unmet:
    return Unmet(reason, broken=True)


def other_kind(reason: str) -> Unmet:
    return Unmet(reason, broken=False)


@dataclass(frozen=True)
class Needs:
    """``verdicts[need]`` is None when the cluster meets the need, else why it does not."""

    verdicts: Mapping[Need, Unmet | None]

    def unmet(self, wanted: Iterable[Need]) -> Unmet | None:
        """Why a test wanting ``wanted`` cannot pass: a broken need first, else the first skip.

        Needs are visited in a stable (sorted) order, so the same cluster always gives the same
        reason; a need nobody checked counts as broken.
        """
        found = []
        for need in sorted(wanted):
            verdict = self.verdicts.get(need, broken("this need was not checked"))
            if verdict is not None:
                found.append(Unmet(f"needs {need}: {verdict.reason}", verdict.broken))
        return next((u for u in found if u.broken), found[0] if found else None)


def judge_nodes(nodes: Sequence[Any]) -> Unmet | None:
    """Pods of the suite can be scheduled somewhere (a simulated node will do)."""
    if schedulable(nodes):
        return None
    if not nodes:
        return broken(NO_NODE)
    return broken(f"no node can run the suite's pods: {describe(nodes)}")


def judge_real_kubelet(nodes: Sequence[Any]) -> Unmet | None:
    """Some node really runs pods; a cluster without real nodes is of another kind."""
    if not nodes:
        return broken(NO_NODE)
    real = real_nodes(nodes)
    if schedulable(real):
        return None
    if real and not any(is_ready(node) for node in real):
        return broken(f"no real node is Ready: {describe(real)}")
    simulated = [node for node in nodes if is_simulated(node)]
    if not real:
        return other_kind("every node is simulated (kwok): nothing really runs")
    if schedulable(simulated):
        return other_kind(
            f"the real nodes take no pods of the suite ({describe(real)}) and "
            "the others are simulated (kwok)"
        )
    return broken(f"no node can run the suite's pods: {describe(nodes)}")


def judge_dns(
    service: Any | None,
    slices: Sequence[Any],
    pods: Sequence[Any],
    real_names: set[str],
    deployments: Sequence[Any] = (),
) -> Unmet | None:
    """On a cluster with real nodes, kube-dns has a ready endpoint on a real node; when it has
    none, the reason is the DNS pods' state and what their Deployment asks for."""
    if service is None:
        return broken(
            f"there is no Service {DNS_NAMESPACE}/{DNS_SERVICE} (kubeadm's CoreDNS "
            "addon): pods cannot resolve names"
        )
    ready = [
        endpoint
        for item in slices
        for endpoint in item.endpoints or []
        if endpoint.conditions is None or endpoint.conditions.ready is not False
    ]
    if not ready:
        return broken(
            f"Service {DNS_NAMESPACE}/{DNS_SERVICE} has no ready endpoint: "
            f"{describe_pods(pods)}{describe_deployments(deployments)}"
        )
    if not any(endpoint.node_name in real_names for endpoint in ready):
        return broken(
            f"the ready endpoints of {DNS_SERVICE} are all on simulated (kwok) nodes, "
            "which answer no query"
        )
    return None


def describe_pods(pods: Sequence[Any], limit: int = 5) -> str:
    """The DNS pods' phases: why the Service has no ready endpoint, in one line."""
    if not pods:
        return f"no pod in {DNS_NAMESPACE} carries {DNS_POD_SELECTOR} (is CoreDNS deployed?)"
    said = []
    for pod in pods[:limit]:
        phase = str(pod.status.phase if pod.status else "Unknown")
        ready = any(
            c.type == "Ready" and c.status == "True"
            for c in (pod.status.conditions or [] if pod.status else [])
        )
        said.append(f"{pod.metadata.name} {phase}{'' if ready else ', not Ready'}")
    return f"the DNS pods ({DNS_POD_SELECTOR}): {'; '.join(said)}"


def describe_deployments(deployments: Sequence[Any]) -> str:
    """``; Deployment kube-system/coredns: 0 of 0 replicas ready (scaled to 0)``, or ''."""
    said = []
    for deployment in deployments:
        want = deployment.spec.replicas if deployment.spec else None
        ready = (deployment.status.ready_replicas if deployment.status else None) or 0
        scaled = " (scaled to 0)" if want == 0 else ""
        said.append(
            f"Deployment {DNS_NAMESPACE}/{deployment.metadata.name}: {ready} of "
            f"{want if want is not None else '?'} replicas ready{scaled}"
        )
    return "".join(f"; {line}" for line in said)


def judge_cluster_admin(allowed: bool, user: str) -> Unmet | None:
    if allowed:
        return None
    return other_kind(f"{user} is not allowed '*' on '*.*' (cluster-admin)")


def detect(kube: Kube, settle_s: float = SETTLE_S, poll_s: float = SETTLE_POLL_S) -> Needs:
    """Ask the cluster; every answer is a read or a review, nothing is created.

    A cluster that has just come up is still settling: for a few seconds after ``kubeadm init``
    (or a node's join) its nodes carry the ``not-ready`` taints the node lifecycle controller
    lifts, and CoreDNS has no ready endpoint yet. A verdict of broken is therefore asked again
    until it holds for ``settle_s``; what is still broken then is judged broken. A cluster of
    another kind is not waited for: that answer does not change.
    """
    admin, user = cluster_admin(kube)
    verdicts: dict[Need, Unmet | None] = {}

    def settled() -> bool:
        nonlocal verdicts
        verdicts = _cluster_verdicts(kube)
        return not any(v is not None and v.broken for v in verdicts.values())

    with contextlib.suppress(access.WaitTimedOut):  # what is still broken is judged broken
        access.wait_for(settled, settle_s, interval=poll_s)
    return Needs({**verdicts, Need.CLUSTER_ADMIN: judge_cluster_admin(admin, user)})


def _cluster_verdicts(kube: Kube) -> dict[Need, Unmet | None]:
    nodes = list_nodes(kube)
    real_kubelet = judge_real_kubelet(nodes)
    real = {str(node.metadata.name) for node in real_nodes(nodes)}
    return {
        Need.NODES: judge_nodes(nodes),
        Need.REAL_KUBELET: real_kubelet,
        Need.DNS: real_kubelet or _judge_dns(kube, real),
    }


def cluster_admin(kube: Kube) -> tuple[bool, str]:
    review = kube.authz.create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}}},
        _request_timeout=READ_TIMEOUT,
    )
    user = whoami(kube)
    return bool(review.status and review.status.allowed), user


def whoami(kube: Kube) -> str:
    try:
        review = kube.authn.create_self_subject_review({}, _request_timeout=READ_TIMEOUT)
    except Exception:  # only a name for a message
        return "the current user"
    info = review.status.user_info if review.status else None
    return str(info.username) if info and info.username else "the current user"


def _judge_dns(kube: Kube, real_names: set[str]) -> Unmet | None:
    """kube-dns's Service, its EndpointSlices, the DNS pods and their Deployment, judged."""
    services = kube.core.list_namespaced_service(
        DNS_NAMESPACE, field_selector=f"metadata.name={DNS_SERVICE}", _request_timeout=READ_TIMEOUT
    ).items
    pods = kube.core.list_namespaced_pod(
        DNS_NAMESPACE, label_selector=DNS_POD_SELECTOR, _request_timeout=READ_TIMEOUT
    ).items
    deployments = kube.apps.list_namespaced_deployment(
        DNS_NAMESPACE, label_selector=DNS_POD_SELECTOR, _request_timeout=READ_TIMEOUT
    ).items
    if not services:
        return judge_dns(None, [], pods, real_names, deployments)
    slices = kube.discovery.list_namespaced_endpoint_slice(
        DNS_NAMESPACE,
        label_selector=f"kubernetes.io/service-name={DNS_SERVICE}",
        _request_timeout=READ_TIMEOUT,
    ).items
    return judge_dns(services[0], slices, pods, real_names, deployments)
