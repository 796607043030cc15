"""The pure judgements: which nodes count, what the cluster offers, kubeadm's tokens and subnets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS
from typing import Any

import pytest

from bootstrap.kubeadm.tokens import compute_detached_signature
from conformance.standard_base import kubeadm as k
from conformance.standard_base import needs, nodes
from conformance.standard_base.kube import RawResponse
from conformance.standard_base.marker import Need


def node(
    name: str,
    ready: bool | None = True,
    simulated: bool = False,
    unschedulable: bool = False,
    taints: list[tuple[str, str]] | None = None,
    reason: str = "",
    message: str = "",
) -> Any:
    """A Node as the client returns it; ``ready=None``: no kubelet ever posted a condition."""
    annotations = {nodes.KWOK_ANNOTATION: "fake"} if simulated else {}
    conditions = (
        []
        if ready is None
        else [NS(type="Ready", status="True" if ready else "False", reason=reason, message=message)]
    )
    return NS(
        metadata=NS(name=name, annotations=annotations),
        spec=NS(
            unschedulable=unschedulable,
            taints=[NS(key=key, effect=effect) for key, effect in taints or []],
        ),
        status=NS(conditions=conditions),
    )


CNI = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)
CONTROL_PLANE_TAINT = ("node-role.kubernetes.io/control-plane", "NoSchedule")


def test_schedulable_nodes() -> None:
    assert nodes.is_schedulable(node("a"))
    assert not nodes.is_schedulable(node("b", ready=False))
    assert not nodes.is_schedulable(node("b", ready=None))
    assert not nodes.is_schedulable(node("c", unschedulable=True))
    assert not nodes.is_schedulable(node("d", taints=[CONTROL_PLANE_TAINT]))
    assert nodes.is_schedulable(node("e", taints=[("dedicated", "PreferNoSchedule")]))
    assert nodes.is_schedulable(node("f", taints=[(nodes.KWOK_ANNOTATION, "NoSchedule")]))
    assert nodes.is_schedulable(node("g", taints=[("kubeadm-verify.io/taint-1", "NoSchedule")]))


def test_why_a_node_takes_no_pods() -> None:
    assert nodes.unschedulable_reason(node("a")) is None
    assert nodes.unschedulable_reason(node("a", ready=None)) == (
        "NotReady: no kubelet has posted its status"
    )
    said = nodes.unschedulable_reason(
        node("a", ready=False, reason="KubeletNotReady", message=CNI + "\n" + "x" * 300)
    )
    assert said is not None and said.startswith(
        "NotReady (Ready=False, KubeletNotReady: container runtime network not ready"
    )
    assert said.endswith("...)") and "\n" not in said and len(said) < 240
    assert nodes.unschedulable_reason(node("a", unschedulable=True)) == (
        "cordoned (spec.unschedulable)"
    )
    assert nodes.unschedulable_reason(node("a", taints=[CONTROL_PLANE_TAINT])) == (
        "tainted node-role.kubernetes.io/control-plane:NoSchedule"
    )
    many = [node(f"n{i}", ready=False) for i in range(7)] + [node("ok")]
    described = nodes.describe(many)
    assert described.count("NotReady") == 5 and described.endswith("; and 2 more")
    assert "ok" not in described


def test_which_nodes_are_meant_for_pods_whatever_their_health() -> None:
    assert nodes.meant_for_pods(node("a"))
    assert nodes.meant_for_pods(
        node("b", ready=False, taints=[("node.kubernetes.io/not-ready", "NoSchedule")])
    )
    assert nodes.meant_for_pods(node("c", taints=[("node.kubernetes.io/unreachable", "NoExecute")]))
    assert not nodes.meant_for_pods(node("d", taints=[CONTROL_PLANE_TAINT]))
    assert not nodes.meant_for_pods(node("e", unschedulable=True))
    assert not nodes.meant_for_pods(
        node("f", taints=[("node.kubernetes.io/out-of-service", "NoExecute")])
    )


def test_nodes_need_fails_when_no_node_takes_pods() -> None:
    assert needs.judge_nodes([node("a", simulated=True)]) is None
    nothing = needs.judge_nodes([])
    assert nothing is not None and nothing.broken and "no Node at all" in nothing.reason
    stuck = needs.judge_nodes(
        [node("real-0", ready=None), node("kwok-0", ready=False, simulated=True, reason="Stuck")]
    )
    assert stuck is not None and stuck.broken
    assert "real-0 NotReady: no kubelet" in stuck.reason and "kwok-0 NotReady" in stuck.reason
    tainted = needs.judge_nodes([node("cp", taints=[CONTROL_PLANE_TAINT])])
    assert tainted is not None and tainted.broken and "cp tainted" in tainted.reason


def test_real_kubelet_need_skips_only_a_simulated_cluster() -> None:
    assert needs.judge_real_kubelet([node("a", simulated=True), node("b")]) is None
    simulated = needs.judge_real_kubelet([node("a", simulated=True)])
    assert simulated is not None and not simulated.broken and "simulated" in simulated.reason
    # simulated nodes that are themselves NotReady: still another kind; `nodes` fails instead
    stuck_kwok = needs.judge_real_kubelet([node("a", ready=False, simulated=True)])
    assert stuck_kwok is not None and not stuck_kwok.broken
    no_cni = needs.judge_real_kubelet(
        [
            node("real-0", ready=False, reason="KubeletNotReady", message=CNI),
            node("kwok-0", simulated=True),
        ]
    )
    assert no_cni is not None and no_cni.broken
    assert no_cni.reason.startswith("no real node is Ready: real-0 NotReady")
    assert "cni plugin not initialized" in no_cni.reason
    nothing = needs.judge_real_kubelet([])
    assert nothing is not None and nothing.broken
    only_control_plane = [node("cp", taints=[CONTROL_PLANE_TAINT]), node("kwok-0", simulated=True)]
    mixed = needs.judge_real_kubelet(only_control_plane)
    assert mixed is not None and not mixed.broken and "cp tainted" in mixed.reason
    alone = needs.judge_real_kubelet([node("cp", taints=[CONTROL_PLANE_TAINT])])
    assert alone is not None and alone.broken


def endpoint_slice(*endpoints: tuple[str, bool | None]) -> Any:
    return NS(
        endpoints=[NS(node_name=name, conditions=NS(ready=ready)) for name, ready in endpoints]
    )


def pod(name: str, phase: str, ready: bool = False) -> Any:
    return NS(
        metadata=NS(name=name),
        status=NS(phase=phase, conditions=[NS(type="Ready", status="True" if ready else "False")]),
    )


def test_dns_fails_without_a_ready_endpoint_on_a_real_node() -> None:
    service = NS()
    missing = needs.judge_dns(None, [], [], {"real"})
    assert missing is not None and missing.broken and "no Service" in missing.reason
    pending = needs.judge_dns(
        service,
        [endpoint_slice(("real", False))],
        [pod("coredns-1", "Pending"), pod("coredns-2", "Running")],
        {"real"},
    )
    assert pending is not None and pending.broken
    assert "no ready endpoint" in pending.reason
    assert "coredns-1 Pending, not Ready; coredns-2 Running, not Ready" in pending.reason
    no_pods = needs.judge_dns(service, [], [], {"real"})
    assert no_pods is not None and "is CoreDNS deployed?" in no_pods.reason
    fake = needs.judge_dns(service, [endpoint_slice(("kwok-0", True))], [], {"real"})
    assert fake is not None and fake.broken and "simulated" in fake.reason
    assert (
        needs.judge_dns(service, [endpoint_slice(("kwok-0", True), ("real", None))], [], {"real"})
        is None
    )


def test_cluster_admin_is_a_kind_of_user() -> None:
    assert needs.judge_cluster_admin(True, "me") is None
    denied = needs.judge_cluster_admin(False, "me")
    assert denied is not None and not denied.broken and denied.reason.startswith("me is not")


TOKEN_SECRET = "0123456789abcdef"  # a test token's secret half, not a credential


TOKEN_ID = "abcdef"


def token(token_id: str = TOKEN_ID, secret: str = TOKEN_SECRET, **data: str) -> k.TokenSecret:
    values = {
        "token-id": token_id,
        "token-secret": secret,
        "usage-bootstrap-signing": "true",
        **data,
    }
    return k.TokenSecret(f"bootstrap-token-{token_id}", values, "bootstrap.kubernetes.io/token")


NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_which_tokens_may_sign() -> None:
    assert token().can_sign(NOW)
    assert not token(**{"usage-bootstrap-signing": "false"}).can_sign(NOW)
    assert not token(expiration="2026-11-23T00:00:00Z").can_sign(NOW)
    assert token(expiration="2026-11-25T00:00:00Z").can_sign(NOW)
    assert not token(expiration="yesterday").can_sign(NOW)  # unparseable counts as expired
    renamed = k.TokenSecret("bootstrap-token-zzzzzz", token().data, token().type)
    assert not renamed.can_sign(NOW)
    assert not k.TokenSecret(token().name, token().data, "Opaque").can_sign(NOW)


def test_signing_problems() -> None:
    content = "apiVersion: v1\nclusters: []\n"
    good, stale = token("abcdef"), token("zzzzzz", expiration="2026-01-01T00:00:00Z")
    signature = compute_detached_signature(content, "abcdef", good.secret)
    info = {"kubeconfig": content, "jws-kubeconfig-abcdef": signature}
    assert k.signing_problems(info, [good, stale], NOW) == []
    assert k.signing_problems({"kubeconfig": content}, [good], NOW) == [
        "token abcdef may sign but cluster-info has no jws-kubeconfig-abcdef"
    ]
    forged = {**info, "jws-kubeconfig-abcdef": signature[:-2] + "AA"}
    assert "not a valid HS256 signature" in k.signing_problems(forged, [good], NOW)[0]
    leftover = {**info, "jws-kubeconfig-zzzzzz": "x..y"}
    assert k.signing_problems(leftover, [good, stale], NOW) == [
        "jws-kubeconfig-zzzzzz belongs to no valid signing token"
    ]


def test_token_secret_manifest_round_trip() -> None:
    expires = NOW + timedelta(minutes=10)
    manifest = k.token_secret_manifest(
        "abcdef", "0123456789abcdef", {"l": "v"}, expires, ("authentication",)
    )
    assert manifest["metadata"]["name"] == "bootstrap-token-abcdef"
    assert manifest["type"] == "bootstrap.kubernetes.io/token"
    assert manifest["stringData"]["expiration"] == "2026-11-24T00:10:00Z"
    assert manifest["stringData"]["auth-extra-groups"] == k.NODE_BOOTSTRAP_GROUP
    assert "usage-bootstrap-signing" not in manifest["stringData"]


@pytest.mark.parametrize(
    ("ip", "subnet", "inside"),
    [
        ("10.96.0.1", "10.96.0.0/12", True),
        ("10.112.0.1", "10.96.0.0/12", False),
        ("fd00::1", "10.96.0.0/12,fd00::/108", True),
        ("fd01::1", "fd00::/108", False),
    ],
)
def test_ip_within(ip: str, subnet: str, inside: bool) -> None:
    assert k.ip_within(ip, subnet) is inside


def test_subnet_arithmetic() -> None:
    assert k.indexed_ip("10.96.0.0/12", 10) == "10.96.0.10"
    assert k.indexed_ip("10.96.0.0/12,fd00::/108", 1) == "10.96.0.1"
    assert k.cidr_within("10.244.1.0/24", "10.244.0.0/16")
    assert not k.cidr_within("10.245.1.0/24", "10.244.0.0/16")
    assert k.networking({}) == {
        "serviceSubnet": "10.96.0.0/12",
        "podSubnet": "",
        "dnsDomain": "cluster.local",
    }


def test_binding_has() -> None:
    binding = NS(
        metadata=NS(name="b"),
        role_ref=NS(name="r"),
        subjects=[NS(kind="Group", name="g", namespace=None)],
    )
    assert k.binding_has(binding, "Group", "g", "r") == []
    problems = k.binding_has(binding, "User", "u", "other")
    assert len(problems) == 2 and "does not bind User u" in problems[0]


class _SettlingCluster:
    """A cluster whose one simulated node carries the not-ready taint for its first answers
    (its Node listing answered as the API server does, as JSON, through ``Kube.raw``)."""

    def __init__(self, tainted_answers: int) -> None:
        self.answers = 0
        self.tainted_answers = tainted_answers
        self.authz = NS(
            create_self_subject_access_review=lambda body, **_: NS(status=NS(allowed=True))
        )
        self.authn = NS(
            create_self_subject_review=lambda body, **_: NS(
                status=NS(user_info=NS(username="kubernetes-admin"))
            )
        )

    def raw(self, method: str, path: str, **kwargs: Any) -> Any:
        assert (method, path) == ("GET", "/api/v1/nodes"), (method, path)
        self.answers += 1
        taints = (
            [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
            if self.answers <= self.tainted_answers
            else []
        )
        item = {
            "metadata": {"name": "kwok-0", "annotations": {nodes.KWOK_ANNOTATION: "fake"}},
            "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        return RawResponse(200, {}, json.dumps({"items": [item], "metadata": {}}).encode())


def test_a_settling_cluster_is_asked_again_until_its_taints_lift() -> None:
    cluster = _SettlingCluster(tainted_answers=2)
    found = needs.detect(cluster, settle_s=5.0, poll_s=0.01)  # type: ignore[arg-type]
    assert found.verdicts[Need.NODES] is None and cluster.answers == 3


def test_what_stays_broken_is_judged_broken_when_the_settling_time_is_up() -> None:
    cluster = _SettlingCluster(tainted_answers=10**6)
    found = needs.detect(cluster, settle_s=0.05, poll_s=0.01)  # type: ignore[arg-type]
    verdict = found.verdicts[Need.NODES]
    assert verdict is not None and verdict.broken, verdict
    assert "node.kubernetes.io/not-ready:NoSchedule" in verdict.reason
    assert cluster.answers >= 2
