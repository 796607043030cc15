"""Which container runtime sockets exist: what every run asks, without loading the CRI client.

Kept apart from ``nodechecks.cri`` so that a run on a host with no runtime (or under a mounted
root, where the runtime is never called) imports neither the client nor its wire codec.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from nodechecks.host import Host

KNOWN_ENDPOINTS = (
    "unix:///var/run/containerd/containerd.sock",
    "unix:///var/run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
)
"""kubeadm's ``knownCRISockets``, in its order (containerd is also its default)."""


def socket_path(endpoint: str) -> str:
    return endpoint.removeprefix("unix://")


def is_socket(host: Host, path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(host.path(path)).st_mode)
    except OSError:
        return False


def detect_endpoints(host: Host, candidates: Sequence[str] = KNOWN_ENDPOINTS) -> list[str]:
    """The known endpoints whose socket exists on the host (kubeadm's ``DetectCRISocket``)."""
    return [endpoint for endpoint in candidates if is_socket(host, socket_path(endpoint))]


__all__ = ["KNOWN_ENDPOINTS", "detect_endpoints", "is_socket", "socket_path"]
