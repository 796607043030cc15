"""The pure judgements: which nodes count, what the cluster offers, kubeadm's tokens and subnets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS
from typing import Any

import pytest

from bootstrap.tokens import compute_detached_signature
from conformance import kubeadm as k
from conformance import needs, nodes


def node(name: str, ready: bool = True, simulated: bool = False, unschedulable: bool = False,
         taints: list[tuple[str, str]] | None = None) -> Any:
    annotations = {nodes.KWOK_ANNOTATION: "fake"} if simulated else {}
    return NS(
        metadata=NS(name=name, annotations=annotations),
        spec=NS(unschedulable=unschedulable,
                taints=[NS(key=key, effect=effect) for key, effect in taints or []]),
        status=NS(conditions=[NS(type="Ready", status="True" if ready else "False")]),
    )


def test_schedulable_nodes() -> None:
    assert nodes.is_schedulable(node("a"))
    assert not nodes.is_schedulable(node("b", ready=False))
    assert not nodes.is_schedulable(node("c", unschedulable=True))
    assert not nodes.is_schedulable(node("d", taints=[("node-role.kubernetes.io/control-plane",
                                                       "NoSchedule")]))
    assert nodes.is_schedulable(node("e", taints=[("dedicated", "PreferNoSchedule")]))
    assert nodes.is_schedulable(node("f", taints=[(nodes.KWOK_ANNOTATION, "NoSchedule")]))
    assert nodes.is_schedulable(node("g", taints=[("kubeadm-verify.io/taint-1", "NoSchedule")]))


def test_needs_from_nodes() -> None:
    assert needs.judge_nodes([]) == "the cluster has no nodes"
    assert "no Ready, schedulable node among a" in str(needs.judge_nodes([node("a", False)]))
    assert needs.judge_nodes([node("a", simulated=True)]) is None
    assert needs.judge_real_kubelet([node("a", simulated=True)]) is not None
    assert needs.judge_real_kubelet([node("a", simulated=True), node("b")]) is None


def endpoint_slice(*endpoints: tuple[str, bool | None]) -> Any:
    return NS(endpoints=[NS(node_name=name, conditions=NS(ready=ready))
                         for name, ready in endpoints])


def test_dns_needs_a_ready_endpoint_on_a_real_node() -> None:
    service = NS()
    assert "no Service" in str(needs.judge_dns(None, [], {"real"}))
    assert "no ready endpoints" in str(needs.judge_dns(service, [endpoint_slice(("real", False))],
                                                       {"real"}))
    assert "simulated" in str(needs.judge_dns(service, [endpoint_slice(("kwok-0", True))],
                                              {"real"}))
    assert needs.judge_dns(service, [endpoint_slice(("kwok-0", True), ("real", None))],
                           {"real"}) is None


TOKEN_SECRET = "0123456789abcdef"  # a test token's secret half, not a credential


TOKEN_ID = "abcdef"


def token(token_id: str = TOKEN_ID, secret: str = TOKEN_SECRET, **data: str) -> k.TokenSecret:
    values = {"token-id": token_id, "token-secret": secret, "usage-bootstrap-signing": "true",
              **data}
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
        "token abcdef may sign but cluster-info has no jws-kubeconfig-abcdef"]
    forged = {**info, "jws-kubeconfig-abcdef": signature[:-2] + "AA"}
    assert "not a valid HS256 signature" in k.signing_problems(forged, [good], NOW)[0]
    leftover = {**info, "jws-kubeconfig-zzzzzz": "x..y"}
    assert k.signing_problems(leftover, [good, stale], NOW) == [
        "jws-kubeconfig-zzzzzz belongs to no valid signing token"]


def test_token_secret_manifest_round_trip() -> None:
    expires = NOW + timedelta(minutes=10)
    manifest = k.token_secret_manifest("abcdef", "0123456789abcdef", {"l": "v"}, expires,
                                       ("authentication",))
    assert manifest["metadata"]["name"] == "bootstrap-token-abcdef"
    assert manifest["type"] == "bootstrap.kubernetes.io/token"
    assert manifest["stringData"]["expiration"] == "2026-11-24T00:10:00Z"
    assert manifest["stringData"]["auth-extra-groups"] == k.NODE_BOOTSTRAP_GROUP
    assert "usage-bootstrap-signing" not in manifest["stringData"]


@pytest.mark.parametrize(
    ("ip", "subnet", "inside"),
    [("10.96.0.1", "10.96.0.0/12", True), ("10.112.0.1", "10.96.0.0/12", False),
     ("fd00::1", "10.96.0.0/12,fd00::/108", True), ("fd01::1", "fd00::/108", False)],
)
def test_ip_within(ip: str, subnet: str, inside: bool) -> None:
    assert k.ip_within(ip, subnet) is inside


def test_subnet_arithmetic() -> None:
    assert k.indexed_ip("10.96.0.0/12", 10) == "10.96.0.10"
    assert k.indexed_ip("10.96.0.0/12,fd00::/108", 1) == "10.96.0.1"
    assert k.cidr_within("10.244.1.0/24", "10.244.0.0/16")
    assert not k.cidr_within("10.245.1.0/24", "10.244.0.0/16")
    assert k.networking({}) == {"serviceSubnet": "10.96.0.0/12", "podSubnet": "",
                                "dnsDomain": "cluster.local"}


def test_binding_has() -> None:
    binding = NS(metadata=NS(name="b"), role_ref=NS(name="r"),
                 subjects=[NS(kind="Group", name="g", namespace=None)])
    assert k.binding_has(binding, "Group", "g", "r") == []
    problems = k.binding_has(binding, "User", "u", "other")
    assert len(problems) == 2 and "does not bind User u" in problems[0]
