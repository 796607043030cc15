"""One control plane of our own for the node tests, with the host captured before it exists.

The cluster comes from ``bootstrap.cluster.up`` on free ports, advertising the default route's
address (pods reach the API through it); the nodes are joined by the tests. After the module the
nodes and the cluster are torn down and the host compared with the snapshot taken first.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bootstrap import nodes
from bootstrap.cluster import teardown, uninterruptible, up
from bootstrap.fixtures import free_port_config
from bootstrap.handle import ClusterHandle
from bootstrap.state import StateDir
from tests.integration.nodes import snapshot


@dataclass
class Joined:
    handle: ClusterHandle
    nodes: list[nodes.Node]
    before: snapshot.HostSnapshot
    join_seconds: float


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Joined]:
    import time

    before = snapshot.take()
    name = f"kvn-it-{secrets.token_hex(3)}"
    state = StateDir.for_cluster(name)
    try:
        handle = up(name, free_port_config(None), skip_phases=("preflight",),
                    log=lambda line: None)
        started = time.monotonic()
        joined = nodes.join(handle, 2, log=lambda line: None)
        yield Joined(handle, joined, before, time.monotonic() - started)
    finally:
        with uninterruptible():
            try:
                nodes.teardown(state)
            finally:
                teardown(state)
