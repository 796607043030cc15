"""A control plane is whole again only when the controller-manager and the scheduler lead:
each holds a lease renewed within the last seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bootstrap.kubeadmrun.upgrade import (
    CONTROL_PLANE_PODS,
    LEASE_FRESH_S,
    stale_leaders,
    unready_control_plane,
)


class Leases:
    """Our client boundary, answering lease reads from a table."""

    def __init__(self, renewed: dict[str, str | None]) -> None:
        self.renewed = renewed

    def get(self, path: str) -> dict[str, Any]:
        holder = path.rsplit("/", 1)[-1]
        when = self.renewed[holder]
        return {"spec": {"renewTime": when} if when is not None else {}}


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_lease_renewed_lately_leads_and_an_old_or_missing_one_does_not() -> None:
    fresh = Leases({"kube-controller-manager": ago(1), "kube-scheduler": ago(2)})
    assert stale_leaders(fresh) == []  # type: ignore[arg-type]
    old = Leases({"kube-controller-manager": ago(LEASE_FRESH_S + 30), "kube-scheduler": None})
    assert stale_leaders(old) == ["kube-controller-manager", "kube-scheduler"]  # type: ignore[arg-type]


class Pods:
    """Our client boundary, answering the control-plane pod listing of one node."""

    def __init__(self, pods: list[tuple[str, str, bool]]) -> None:
        self.pods = pods
        self.asked: list[str] = []

    def get(self, path: str) -> dict[str, Any]:
        self.asked.append(path)
        return {
            "items": [
                {
                    "metadata": {"name": f"{c}-{n}", "labels": {"component": c}},
                    "spec": {"nodeName": n},
                    "status": {"conditions": [{"type": "Ready", "status": str(ready)}]},
                }
                for c, n, ready in self.pods
                if f"spec.nodeName%3D{n}" in path
            ]
        }


def test_a_control_plane_node_is_whole_when_its_mirror_pods_are_back_and_ready() -> None:
    whole = [(c, "cp-1", True) for c in ("etcd", *CONTROL_PLANE_PODS)]
    client = Pods(whole)
    assert unready_control_plane(client, "cp-1") == []  # type: ignore[arg-type]
    assert "labelSelector=tier%3Dcontrol-plane" in client.asked[0]
    remade = [p for p in whole if p[0] != "kube-controller-manager"]  # its mirror pod is gone
    remade.append(("kube-scheduler", "cp-1", False))
    remade.append(("kube-controller-manager", "cp-2", True))  # another node's does not count
    assert unready_control_plane(Pods(remade), "cp-1") == [  # type: ignore[arg-type]
        "kube-controller-manager"
    ]
    starting = [("kube-apiserver", "cp-1", True), ("kube-scheduler", "cp-1", False)]
    assert unready_control_plane(Pods(starting), "cp-1") == [  # type: ignore[arg-type]
        "kube-controller-manager",
        "kube-scheduler",
    ]
