"""A control plane is whole again only when the controller-manager and the scheduler lead:
each holds a lease renewed within the last seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bootstrap.kubeadmrun.upgrade import LEASE_FRESH_S, stale_leaders


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
