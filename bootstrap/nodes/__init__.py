"""Real nodes: kubelets joined by bootstrap token to a running cluster of ours.

``join(cluster, count)`` → ``list[Node]``; ``teardown(cluster)`` undoes every side effect;
``nodes_of(cluster)`` lists what a cluster has; ``wait_addons(state, names)`` waits for
kube-proxy on those nodes and a CoreDNS replica. ``cluster`` is a ``ClusterHandle``, a
``StateDir`` or a state dir's path.
"""

from bootstrap.nodes.addons import wait_addons
from bootstrap.nodes.lifecycle import Node, join, nodes_of, remove_nodes, teardown

__all__ = ["Node", "join", "nodes_of", "remove_nodes", "teardown", "wait_addons"]
