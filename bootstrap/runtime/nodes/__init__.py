"""Real nodes: kubelets joined by bootstrap token to a running cluster of ours.

``join(cluster, count)`` → ``list[Node]``; ``teardown(cluster)`` undoes every side effect;
``nodes_of(cluster)`` lists what a cluster has, ``layout_of(cluster, name)`` where a node's files
are; ``wait_addons(state, names)`` waits for
kube-proxy on those nodes and a CoreDNS replica. ``cluster`` is a ``ClusterHandle``, a
``StateDir`` or a state dir's path.
"""

from bootstrap.runtime.nodes.addons import wait_addons
from bootstrap.runtime.nodes.lifecycle import (
    Node,
    join,
    layout_of,
    nodes_of,
    remove_nodes,
    teardown,
)

__all__ = ["Node", "join", "layout_of", "nodes_of", "remove_nodes", "teardown", "wait_addons"]
