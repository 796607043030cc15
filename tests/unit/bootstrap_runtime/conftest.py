"""Shared fixtures: a resolved configuration and a state dir, nothing started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bootstrap.kubeadm.config import default_config
from bootstrap.kubeadm.configtypes import APIEndpoint, BootstrapConfig, ExtraArg, LocalPorts
from bootstrap.runtime.state import StateDir
from kubeadm_verify.record import replace


@pytest.fixture
def config() -> BootstrapConfig:
    """kubeadm's defaults on the loopback, node "node1", with its fixed ports."""
    return default_config("node1")


@pytest.fixture
def moved(config: BootstrapConfig) -> BootstrapConfig:
    """Every port moved away from kubeadm's, as a side-by-side cluster has them."""
    return replace(
        config,
        endpoint=APIEndpoint("127.0.0.1", 16443),
        ports=LocalPorts(12379, 12380, 12381, 20257, 20259),
    )


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir(tmp_path / "cluster", "cluster")


def with_extra(config: BootstrapConfig, **extra: list[tuple[str, str]]) -> BootstrapConfig:
    """``with_extra(config, api_server=[("v", "4")])`` sets ``api_server_extra_args``."""
    changes: dict[str, Any] = {
        f"{component}_extra_args": tuple(ExtraArg(n, v) for n, v in pairs)
        for component, pairs in extra.items()
    }
    return replace(config, cluster=replace(config.cluster, **changes))
