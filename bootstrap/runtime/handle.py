"""The handle a cluster fixture yields: what a test needs to talk to the cluster it was given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


@dataclass(frozen=True)
class ClusterHandle:
    """A running cluster: one we brought up (``owned``) or one we were pointed at.

    ``state_dir`` is None for a cluster we did not create; teardown never touches such a cluster.
    """

    name: str
    kubeconfig: Path
    context: str | None
    version: str
    owned: bool
    state_dir: Path | None = None
    simulated_nodes: int = 0

    def api_client(self) -> ApiClient:
        """A fresh client for this cluster, with TLS verification as the kubeconfig says."""
        from kubernetes import config

        client: ApiClient = config.new_client_from_config(
            config_file=str(self.kubeconfig), context=self.context
        )
        return client
