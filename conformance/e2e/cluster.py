"""The one thing the e2e tier asks of the cluster itself: its release, from ``GET /version``.

The cluster is the core's resolved :class:`~kubeadm_verify.access.Target` (kubectl's rules:
``--kubeconfig``, a multi-file ``KUBECONFIG``, ``~/.kube/config``, in-cluster), reached through
the core's client, so its failures read as every other tier's do. ``e2e.test`` gets the same
target as one private file (:func:`kubeadm_verify.access.single_kubeconfig`).
"""

from __future__ import annotations

from conformance.e2e.version import release_of
from kubeadm_verify import access
from kubeadm_verify.errors import ClusterError


def server_version(target: access.Target) -> str:
    """The cluster's release (``vX.Y.Z``) from ``GET /version``."""
    api_client, context = access.load(target)
    try:
        answer = access.reach(api_client, context)
    finally:
        api_client.close()
    host = api_client.configuration.host
    git_version = answer.get("gitVersion")
    if not isinstance(git_version, str):
        raise ClusterError(f"{host}/version: no gitVersion in the answer")
    release = release_of(git_version)
    if release is None:
        raise ClusterError(f"the server reports version {git_version!r}, not vX.Y.Z")
    return release


__all__ = ["server_version"]
