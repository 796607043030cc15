"""What a local cluster is, decided before anything starts: one frozen ``ClusterSpec``.

The CLI's ``up``, ``cluster --up``, the ``kv_cluster`` fixture, the tests and the benches all
describe the cluster they want with it and hand it to ``bring_up`` (``bootstrap.runtime.bringup``),
so where its files live, which ports it takes and what ``up`` waits for are settled in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.runtime.state import StateDir, check_name
from kubeadm_verify.errors import UsageError
from kubeadm_verify.settings import real_node_count
from kubeadm_verify.verboptions import PINNED_KUBEADM

MAX_CONTROL_PLANES = 5
"""As ``bootstrap.kubeadmrun`` allows: an etcd of five members keeps quorum losing two."""
MAX_KUBEADM_WORKERS = 8

if TYPE_CHECKING:
    from bootstrap.phases.preflight import CheckNode


@dataclass(frozen=True)
class ClusterSpec:
    """One local cluster: its configuration, its nodes, its ports and where its state lives.

    ``nodes`` real worker nodes join with the control-plane host's own node (kubelets in network
    namespaces); ``simulated_nodes`` kwok Nodes are started besides. ``free_ports`` moves every
    port the configuration leaves at kubeadm's default to a free one, so clusters run side by
    side. ``preflight`` is the node tier's ``run`` (only a caller that may import the tier has
    it); without it the preflight phase is not run. ``wait_for_workloads`` waits, beyond what
    ``kubeadm init`` waits for, until the cluster takes workloads (see ``workloads``).

    ``kubeadm`` hands the bring-up to the real kubeadm binary (``bootstrap.kubeadmrun``): the
    pinned one (``pinned``) or the one at a path, running ``init`` on the first of
    ``control_planes`` control-plane nodes, ``join --control-plane`` on the others and ``join``
    on the ``nodes`` workers, each node a whole machine to it; without it, the Python phases.
    """

    name: str
    config: BootstrapConfig
    state_dir: Path | None = None
    """None: the default, ``<cache>/clusters/<name>``."""
    simulated_nodes: int = 0
    nodes: int = 0
    free_ports: bool = False
    preflight: CheckNode | None = None
    wait_for_workloads: bool = False
    binaries: Path | None = None
    """A bin dir to use instead of the release's pinned, cached binaries."""
    kubeadm: str | None = None
    control_planes: int = 1
    flag_prefix: str = "--"
    """How the caller's user names the options (``--kv-`` in the fixtures), for errors."""

    @classmethod
    def local(cls, name: str, config_file: str | Path | None = None, **options: Any) -> ClusterSpec:
        """A cluster beside any other on this machine: the configuration from ``config_file``
        (or kubeadm's defaults) on free ports; ``options`` are the other fields."""
        return cls(name, default_config(config_file), free_ports=True, **options)

    def __post_init__(self) -> None:
        check_name(self.name)
        real_node_count(self.nodes, f"{self.flag_prefix}nodes")
        if isinstance(self.simulated_nodes, bool) or self.simulated_nodes < 0:
            raise UsageError(f"{self.simulated_nodes!r} simulated nodes: expected 0 or more")
        self._check_kubeadm()

    def _check_kubeadm(self) -> None:
        """What the kubeadm-driven bring-up takes, refused in one line naming the option."""
        flag = self.flag_prefix
        if not 1 <= self.control_planes <= MAX_CONTROL_PLANES:
            raise UsageError(
                f"{flag}control-planes {self.control_planes}: expected 1 to {MAX_CONTROL_PLANES}"
            )
        if self.kubeadm is None:
            if self.control_planes != 1:
                raise UsageError(f"{flag}control-planes needs {flag}kubeadm")
            return
        if self.simulated_nodes:
            raise UsageError(f"{flag}kubeadm brings up real nodes only, not simulated ones")
        if self.nodes > MAX_KUBEADM_WORKERS:
            raise UsageError(
                f"{flag}nodes {self.nodes}: at most {MAX_KUBEADM_WORKERS} with {flag}kubeadm"
            )
        if self.kubeadm != PINNED_KUBEADM:
            path = Path(self.kubeadm)
            if not path.is_file() or not os.access(path, os.X_OK):
                raise UsageError(f"{flag}kubeadm {self.kubeadm}: not an executable file")

    @property
    def kubeadm_binary(self) -> Path | None:
        """The user's kubeadm (None: the pinned one), for a kubeadm-driven cluster."""
        if self.kubeadm is None or self.kubeadm == PINNED_KUBEADM:
            return None
        return Path(self.kubeadm).absolute()

    @property
    def state(self) -> StateDir:
        """The state dir, its path checked (``--state-dir`` is named when the user gave it)."""
        return StateDir.for_cluster(self.name, self.state_dir)

    @property
    def phase_config(self) -> BootstrapConfig:
        """The configuration the phases resolve: with ``free_ports``, default ports at 0."""
        if not self.free_ports:
            return self.config
        from bootstrap.runtime.ports import all_free

        return all_free(self.config)

    @property
    def skipped_phases(self) -> tuple[str, ...]:
        return () if self.preflight is not None else ("preflight",)

    def with_config(self, config: BootstrapConfig) -> ClusterSpec:
        return replace(self, config=config)


def default_config(path: str | Path | None = None) -> BootstrapConfig:
    """The configuration from a kubeadm config file, or kubeadm's defaults (warnings dropped:
    the CLI, which shows them, loads its own)."""
    from bootstrap.kubeadm.config import load_config

    return load_config(Path(path) if path else None).config


__all__ = ["ClusterSpec", "default_config"]
