"""The parts a real node runs besides the kubelet: built from source into the binaries cache.

``ensure_node_parts`` returns a ``NodeParts`` with every path a node needs: the container
runtime (containerd 2.x, its runc shim and ``ctr``), the programs the images are made of
(CoreDNS, agnhost, a pause program) built from their Go modules, and the Debian tools that are
not ours to build (runc, the CNI plugins, busybox, iptables, netcat), which must be installed.
"""

from bootstrap.upstream.nodeparts.debian import HostTools, find_host_tools, missing_host_tools
from bootstrap.upstream.nodeparts.hostsetup import HostSetup, set_up_host
from bootstrap.upstream.nodeparts.parts import NodeParts, ensure_node_parts

__all__ = [
    "HostSetup",
    "HostTools",
    "NodeParts",
    "ensure_node_parts",
    "find_host_tools",
    "missing_host_tools",
    "set_up_host",
]
