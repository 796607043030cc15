"""The handle a cluster fixture yields: what a test needs to talk to the cluster it was given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from bootstrap.kubeadmrun import KubeadmCluster
    from kubeadm_verify.access import Target


@dataclass(frozen=True)
class ClusterHandle:
    """A running cluster: one we brought up (``owned``) or one we were pointed at.

    ``state_dir`` is None for a cluster we did not create; teardown never touches such a cluster.
    ``kubeconfig`` is one file, for tools that take a path (for an external cluster, the private
    hand-over file of its resolved target); in this process the cluster is reached through
    ``target``: the resolved target itself when we were pointed at the cluster (``resolved``), so
    it is never written out and read back, else the cluster's own kubeconfig.
    """

    name: str
    kubeconfig: Path
    context: str | None
    version: str
    owned: bool
    state_dir: Path | None = None
    simulated_nodes: int = 0
    resolved: Target | None = None
    kubeadm: KubeadmCluster | None = None
    """What the real kubeadm made, when it brought the cluster up: its nodes, its endpoint, how
    long each stage took."""

    @property
    def target(self) -> Target:
        if self.resolved is not None:
            return self.resolved
        from kubeadm_verify.access import Target

        return Target((self.kubeconfig,), self.context)

    def api_client(self) -> ApiClient:
        """A fresh client for this cluster (TLS as the kubeconfig says, no retries)."""
        from kubeadm_verify.access import load

        client: ApiClient = load(self.target)[0]
        return client
