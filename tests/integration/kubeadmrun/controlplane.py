"""Waiting for a kubeadm-driven control plane to be whole again after an outage (a rollback, lost
members): every control-plane pod Ready, and the controller-manager and the scheduler each
leading again. While the API server or etcd's quorum was gone they lost their leases and exited,
as they do, and the kubelet starts them again after its back-off: until then no controller runs,
and a verdict on the cluster would be one on a control plane restarting."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bootstrap.kubeadmrun.upgrade import LEASE_FRESH_S, stale_leaders
from kubeadm_verify.access import Client, WaitTimedOut, wait_for


def control_plane_unsettled(api: Client) -> str:
    """'' when every control-plane pod is Ready and both leaders hold a lease renewed within
    ``LEASE_FRESH_S``, else what is not."""
    pods = api.get("/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane")
    not_ready = [
        p["metadata"]["name"]
        for p in pods["items"]
        if not any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
    ]
    if not pods["items"] or not_ready:
        return f"control-plane pods not Ready: {not_ready or 'none listed'}"
    stale = stale_leaders(api)
    return f"no lease renewed within {LEASE_FRESH_S:g}s: {stale}" if stale else ""


def wait_for_control_plane(admin_conf: Path, timeout: float) -> str:
    """'' once :func:`control_plane_unsettled` says nothing, asked through ``admin_conf`` with a
    fresh client each time (a pooled connection may lead to a server that went); else what it
    said last when ``timeout`` seconds have passed."""
    said = ["not asked"]

    def settled() -> bool:
        try:
            with Client.from_file(admin_conf) as api:
                said[0] = control_plane_unsettled(api)
        except Exception as error:  # the API server is still coming back
            said[0] = f"no answer ({type(error).__name__})"
        return not said[0]

    with contextlib.suppress(WaitTimedOut):
        wait_for(settled, timeout, interval=2, what="the control plane to settle")
    return said[0]
