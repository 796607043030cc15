"""Each Node's pod CIDR set to the one its network was made for: ``assign_pod_cidr``.

A node's pod network is made before it joins: its CNI configuration hands out addresses from its
own /24 (``plan.pod_cidr(index)``), and the hub routes that /24 to it, as a CNI that does its own
address management would. Left to the controller-manager's node IPAM, a Node would get the next
free /24 in the order the Nodes reach it, which parallel joins do not fix, and which even one
join at a time does not: under load the IPAM may allocate a /24 twice for one Node, release the
second, and hand the next Node the one after it. So kubeadm's configuration turns node IPAM off
(``kubeadmconfig.CONTROLLER_MANAGER_ARGS``) and each Node's ``podCIDR`` is set here, once it
registers, to its network's: nothing else sets it, and a Node found with another is an error
that names both.
"""

from __future__ import annotations

from typing import Any

from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

TIMEOUT_S = 60.0


def assign_pod_cidr(state: StateDir, entry: NodeEntry, timeout: float = TIMEOUT_S) -> None:
    """Once ``entry``'s Node is registered, its ``podCIDR`` is the node's own."""
    client = ApiClient.from_kubeconfig(state, "admin")
    seen: list[dict[str, Any]] = []

    def registered() -> bool:
        try:
            found = client.get_or_none(f"/api/v1/nodes/{entry.name}")
        except ApiError:
            return False
        if found is not None:
            seen.append(found)
        return found is not None

    try:
        wait_for(registered, timeout, interval=0.2)
        given = str((seen[-1].get("spec") or {}).get("podCIDR") or "")
        if not given:
            patch = {"spec": {"podCIDR": entry.pod_cidr, "podCIDRs": [entry.pod_cidr]}}
            given = str(client.patch(f"/api/v1/nodes/{entry.name}", patch)["spec"]["podCIDR"])
    except WaitTimedOut:
        raise BootstrapError(
            f"{entry.name} did not register within {timeout:.0f}s of its kubeadm command"
        ) from None
    finally:
        client.close()
    if given != entry.pod_cidr:
        raise BootstrapError(
            f"{entry.name} has the pod CIDR {given}, but its pod network is {entry.pod_cidr}: "
            "is the controller-manager's node IPAM on (--allocate-node-cidrs)?"
        )
