"""Fixtures for the node checks' unit tests: fabricated roots and contexts over them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubeadm_verify.checks import execute
from kubeadm_verify.results import CheckResult
from nodechecks.catalog import for_run
from nodechecks.checks import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.host import Host
from tests.unit.nodechecks.node_roots import healthy_root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    host: Path = healthy_root(tmp_path / "host")
    return host


@pytest.fixture
def run() -> Callable[..., CheckResult]:
    """Run one registered check against a root, as the tier would (role skip, ignores)."""

    def run(check_id: str, root: Path, **context: object) -> CheckResult:
        ctx = NodeContext(host=Host(str(root)), **context)  # type: ignore[arg-type]
        check = for_run(REGISTRY.get(check_id), ctx)
        return execute(check, ctx, role=ctx.role, ignored=ctx.ignored)

    return run
