"""scheduling: the cluster has the nodes its workloads are spread over.

Upstream's conformance run begins by requiring at least two Ready nodes without a NoSchedule or
NoExecute taint (test/e2e/architecture/conformance.go): its specs spread pods over two nodes, and
a cluster that offers one can no longer say whether traffic between nodes works. How many nodes
an owner gives a cluster is what kind of cluster it is, so a cluster with fewer than two nodes
meant for workloads skips this test, saying so; a cluster with two or more such nodes of which
fewer than two can take pods is broken, and fails naming each node and why.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import pytest

from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import NodeView, list_nodes
from conformance.standard_base.nodes import describe, made_by_suite, meant_for_pods, schedulable

WANTED = 2
"""Upstream's minimum: ``len(nodeList.Items) < 2`` fails its spec."""
SETTLE_S = 20
"""How long a node meant for workloads may take to become Ready and lose its health taints; the
suite's needs have already waited for the cluster to settle, so this only rides out a node that
is between two heartbeats."""


def _cluster_nodes(kube: Kube) -> list[NodeView]:
    """The cluster's own nodes: never the Node objects other tests make for a few seconds."""
    return [node for node in list_nodes(kube) if not made_by_suite(node)]


@standard_base(
    id="scheduling/two-schedulable-nodes",
    conformance=[
        "[sig-architecture] Conformance Tests should have at least two untainted nodes "
        "[Conformance]"
    ],
    needs=["nodes"],
    timeout=25,
)
def test_two_schedulable_nodes(kube: Kube) -> None:
    """At least two nodes are Ready, not cordoned, and carry no NoSchedule or NoExecute taint
    (but kwok's marker on simulated nodes): pods can be spread over two nodes. A cluster of
    fewer than two nodes meant for workloads is another kind of cluster (skipped, saying how
    many it has); one whose nodes meant for workloads cannot take pods fails, naming them."""
    meant = [node for node in _cluster_nodes(kube) if meant_for_pods(node)]
    if len(meant) < WANTED:
        pytest.skip(
            f"the cluster has {len(meant)} node(s) meant for workloads (not cordoned, no taint "
            f"but the health ones), not {WANTED}: upstream's conformance run needs two"
        )

    def enough() -> list[NodeView]:
        nodes = [node for node in _cluster_nodes(kube) if meant_for_pods(node)]
        ready = schedulable(nodes)
        assert len(ready) >= WANTED, (
            f"{len(ready)} of the {len(nodes)} nodes meant for workloads can take pods, "
            f"not {WANTED}: {describe(nodes)}"
        )
        return ready

    wait_for(f"{WANTED} schedulable untainted nodes", enough, SETTLE_S, interval=1.0)
