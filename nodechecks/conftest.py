"""Builds the node context from the command-line options the kubeadm-verify plugin declares."""

from __future__ import annotations

import pytest

from nodechecks.context import NodeContext
from nodechecks.host import Host


@pytest.fixture(scope="session")
def node_context(pytestconfig: pytest.Config) -> NodeContext:
    option = pytestconfig.getoption
    ignored = str(option("node_ignore_preflight_errors") or "")
    return NodeContext(
        host=Host(str(option("node_root"))),
        role=str(option("node_role")),
        kubernetes_version=str(option("node_kubernetes_version")),
        ignored=frozenset(name.strip().lower() for name in ignored.split(",") if name.strip()),
        pull_images=bool(option("node_pull_images")),
    )
