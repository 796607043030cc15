"""One control plane of our own for the node tests, with the host captured before it exists.

The cluster comes from ``bootstrap.runtime.bringup`` on free ports, advertising the default
route's address (pods reach the API through it); the nodes are joined by the tests. After the
module the nodes and the cluster are torn down and the host compared with the snapshot taken
first, with an owner for each difference (``hostscope``): other clusters, the suite's own on
other xdist workers included, come and go meanwhile.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bootstrap.runtime import nodes
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.spec import ClusterSpec
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
    spec = ClusterSpec.local(f"kvn-it-{secrets.token_hex(3)}")
    with bring_up(spec, log=lambda line: None) as handle:  # its teardown takes the nodes too
        started = time.monotonic()
        joined = nodes.join(handle, 2, log=lambda line: None)
        yield Joined(handle, joined, before, time.monotonic() - started)


@pytest.fixture(scope="module")
def real_cluster() -> Iterator[ClusterHandle]:
    """What ``kv_cluster`` brings up with ``--kv-nodes 2``: the control-plane node (marked as
    ``kubeadm init`` marks it) and two workers, kube-proxy and CoreDNS running."""
    spec = ClusterSpec.local(f"kvr-sb-{secrets.token_hex(3)}", nodes=2, wait_for_workloads=True)
    with bring_up(spec, log=lambda line: None) as handle:
        yield handle
