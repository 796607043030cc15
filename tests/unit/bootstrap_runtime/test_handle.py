"""The handle hands a resolved target on as the object it is: a cluster we were pointed at with
several kubeconfig files merged, or in-cluster, is not written out and read back."""

from __future__ import annotations

from pathlib import Path

from bootstrap.runtime.handle import ClusterHandle
from kubeadm_verify.access import InCluster, Target


def _handle(resolved: Target | None) -> ClusterHandle:
    return ClusterHandle(
        name="c",
        kubeconfig=Path("/hand-over/kubeconfig"),
        context="c",
        version="v1.37.2",
        owned=resolved is None,
        resolved=resolved,
    )


def test_a_resolved_target_is_the_handles_target_itself() -> None:
    pod = InCluster("https://10.96.0.1:443", Path("/sa/token"), Path("/sa/ca.crt"))
    for resolved in (Target((Path("/a"), Path("/b")), "ctx"), Target((), None, pod)):
        assert _handle(resolved).target is resolved


def test_a_cluster_of_our_own_is_reached_through_its_kubeconfig() -> None:
    assert _handle(None).target == Target((Path("/hand-over/kubeconfig"),), "c")
