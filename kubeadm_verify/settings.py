"""What a run is checked against, as frozen objects built once by the CLI and validated once.

A tier receives its settings object and nothing else: no option strings to re-parse, no
environment to consult. Construction is validation, so an object that exists is one a tier may
trust; what is wrong with it is an ``InputError`` or ``UsageError`` naming the flag, which the CLI
turns into its one line and exit status 2.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kubeadm_verify.errors import UsageError
from kubeadm_verify.nodesettings import ROLES, VERSION_PATTERN, ExternalEtcd, NodeSettings

if TYPE_CHECKING:
    from kubeadm_verify.access.kubeconfig import Target


def new_run_id() -> str:
    """The id a run labels what it creates with: one per run (every xdist worker shares it),
    in a label value's alphabet. Minted here and nowhere else."""
    import secrets  # loads OpenSSL's hashes: the node tier, which imports this module, never asks

    return f"{time.strftime('%m%d%H%M%S')}-{secrets.token_hex(2)}"


def real_node_count(value: object, flag: str = "--nodes", minimum: int = 0) -> int:
    """How many real nodes to join, from ``up --nodes``, ``join --nodes`` or the fixtures'
    ``--kv-nodes``: one rule and one message for all three (only the least number differs)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(
            f"{flag} {value!r}: expected a whole number of real nodes, {minimum} or more"
        )
    return value


def check_regex(flag: str, pattern: str | None) -> str | None:
    """``pattern`` if it compiles (an empty one selects everything: None), else a usage error."""
    if not pattern:
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{flag} {pattern!r} is not a valid regular expression: {exc}") from exc
    return pattern


@dataclass(frozen=True)
class Output:
    """Where a checking verb writes its reports, and what it prints (``text`` or ``json``)."""

    directory: Path = Path("reports")
    fmt: str = "text"


@dataclass(frozen=True)
class ClusterSettings:
    """The Standard Base run: which cluster (a resolved ``target``, or ``up`` for a local one
    from ``config_file``), which tests, how many xdist workers, how many NotReady nodes are
    allowed, and the run's one id."""

    target: Target | None = None
    up: bool = False
    config_file: str | None = None
    focus: str | None = None
    skip: str | None = None
    parallel: int = 1
    allowed_not_ready_nodes: int = 0
    run_id: str = field(default_factory=new_run_id)
    output: Output = field(default_factory=Output)

    def __post_init__(self) -> None:
        check_regex("--focus", self.focus)
        check_regex("--skip", self.skip)
        if self.parallel < 1:
            raise UsageError(f"--parallel {self.parallel}: must be at least 1")
        if self.allowed_not_ready_nodes < 0:
            raise UsageError(
                f"--allowed-not-ready-nodes {self.allowed_not_ready_nodes}: must be 0 or more"
            )
        if self.up and self.target is not None:
            raise UsageError("--up brings up its own cluster; it takes no --kubeconfig/--context")


@dataclass(frozen=True)
class E2ESettings:
    """The upstream e2e run, every option checked: the mode by name (the tier knows its specs),
    its process count and timeout already resolved, and the cluster's ``target`` (None only
    when ``--kubernetes-version`` with ``--dry-run`` means no cluster is asked anything)."""

    mode: str
    version: str | None
    target: Target | None
    mirror: str
    test_package: Path | None
    test_package_sha256: str | None
    focus: str | None
    skip: str | None
    procs: int
    timeout: str
    timeout_s: float
    download_timeout_s: float
    dry_run: bool
    output: Output = field(default_factory=Output)

    def __post_init__(self) -> None:
        if self.procs < 1:
            raise UsageError(f"--parallel {self.procs}: needs at least one process")
        if self.target is None and not (self.dry_run and self.version):
            raise UsageError("the e2e run needs a cluster: no kubeconfig was resolved")

    @property
    def fmt(self) -> str:
        return self.output.fmt

    @property
    def output_dir(self) -> Path:
        return self.output.directory


@dataclass(frozen=True)
class UpSettings:
    """``up``: the cluster's name, where its state lives, and its shape. The kubeadm
    configuration itself is bootstrap's to parse (``bootstrap.kubeadm.config``)."""

    name: str = "kubeadm-verify"
    config_file: str | None = None
    kubernetes_version: str | None = None
    simulated_nodes: int = 0
    state_dir: str | None = None
    free_ports: bool = False
    nodes: int = 0
    """Real worker nodes to join besides the control-plane node (``--nodes``)."""
    kubeadm: str | None = None
    """``--kubeadm``: the real kubeadm drives the cluster; ``pinned``, or its path."""
    control_planes: int = 1

    def __post_init__(self) -> None:
        real_node_count(self.nodes)
        if self.simulated_nodes < 0:
            raise UsageError("--simulated-nodes must be 0 or more")
        if (
            self.kubernetes_version is not None
            and re.match(VERSION_PATTERN, self.kubernetes_version.strip()) is None
        ):
            raise UsageError(
                f"--kubernetes-version {self.kubernetes_version!r} is not a version such as v1.37.2"
            )


@dataclass(frozen=True)
class UpgradeSettings:
    """``upgrade``: which local cluster, to which release, with which kubeadm, and whether the
    workload that must keep answering runs through it."""

    name: str = "kubeadm-verify"
    state_dir: str | None = None
    to: str | None = None
    kubeadm: str | None = None
    workload: bool = True
    patches: str | None = None
    upgrade_manifests_timeout: str | None = None
    etcd_upgrade: bool = True
    output: Output = field(default_factory=Output)

    def __post_init__(self) -> None:
        if self.to is not None and re.match(VERSION_PATTERN, self.to.strip()) is None:
            raise UsageError(f"--to {self.to!r} is not a version such as v1.37.2")


@dataclass(frozen=True)
class PhaseSettings:
    """``phase``: which phase of which cluster's state dir, with which configuration."""

    phase: str
    name: str = "kubeadm-verify"
    config_file: str | None = None
    state_dir: str | None = None


@dataclass(frozen=True)
class DownSettings:
    """``down``: which cluster to stop and remove."""

    name: str = "kubeadm-verify"
    state_dir: str | None = None


__all__ = [
    "ROLES",
    "VERSION_PATTERN",
    "ClusterSettings",
    "DownSettings",
    "E2ESettings",
    "ExternalEtcd",
    "NodeSettings",
    "Output",
    "PhaseSettings",
    "UpSettings",
    "UpgradeSettings",
    "check_regex",
    "new_run_id",
    "real_node_count",
]
