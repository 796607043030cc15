"""One control plane of our own for the node tests, with the host captured before it exists.

The cluster comes from ``bootstrap.runtime.cluster.up`` on free ports, advertising the default
route's
address (pods reach the API through it); the nodes are joined by the tests. After the module the
nodes and the cluster are torn down and the host compared with the snapshot taken first, with
an owner for each difference (``hostscope``): other clusters, the suite's own on other xdist
workers included, come and go meanwhile.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bootstrap.fixtures import free_port_config
from bootstrap.runtime import nodes
from bootstrap.runtime.cluster import teardown, uninterruptible, up
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.state import StateDir
from tests.integration.nodes import hostscope


@dataclass
class Joined:
    handle: ClusterHandle
    nodes: list[nodes.Node]
    before: hostscope.Seen
    join_seconds: float


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Joined]:
    import time

    before = hostscope.take()
    name = f"kvn-it-{secrets.token_hex(3)}"
    state = StateDir.for_cluster(name)
    try:
        handle = up(name, free_port_config(None), skip_phases=("preflight",), log=lambda line: None)
        started = time.monotonic()
        joined = nodes.join(handle, 2, log=lambda line: None)
        yield Joined(handle, joined, before, time.monotonic() - started)
    finally:
        with uninterruptible():
            try:
                nodes.teardown(state)
            finally:
                teardown(state)


@pytest.fixture(scope="module")
def real_cluster() -> Iterator[ClusterHandle]:
    """What ``kv_cluster`` brings up with ``--kv-nodes 2``: the control-plane node (marked as
    ``kubeadm init`` marks it) and two workers, kube-proxy and CoreDNS running."""
    from bootstrap.fixtures import running_cluster

    with running_cluster(
        f"kvr-sb-{secrets.token_hex(3)}", free_port_config(None), nodes=2
    ) as handle:
        yield handle
