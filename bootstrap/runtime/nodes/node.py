"""What a joined node is, as a test sees it, and the cluster's pod subnet as configured: the
two things both the join steps (``joining``) and the lifecycle (``lifecycle``) hand out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """A joined node, as a test sees it."""

    name: str
    address: str
    netns: str
    pod_cidr: str
    control_plane: bool = False


def pod_subnet_of(cluster: dict[str, object]) -> str:
    """The ``podSubnet`` of a ClusterConfiguration as written (empty when it has none)."""
    networking = cluster.get("networking")
    subnet = networking.get("podSubnet", "") if isinstance(networking, dict) else ""
    return str(subnet or "")
