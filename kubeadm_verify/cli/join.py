"""``kubeadm-verify join``: add real nodes to a running cluster of ours; print their names.

Any cluster ``up`` brought up accepts it, with or without nodes already. Each node joins as
``kubeadm join`` joins one (bootstrap token, TLS bootstrap, the ``kubelet-config`` ConfigMap);
the verb returns once every new node is Ready and runs kube-proxy, and CoreDNS is Ready.
"""

from __future__ import annotations

import argparse

from kubeadm_verify.errors import ExitStatus, UsageError
from kubeadm_verify.settings import real_node_count


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.runtime import nodes
    from bootstrap.runtime.cluster import stderr_log
    from bootstrap.runtime.state import StateDir

    count = real_node_count(args.nodes, minimum=1)
    state = StateDir.for_cluster(args.name, args.state_dir)
    if not state.exists() or not state.is_ours():
        raise UsageError(
            f"no cluster {args.name!r} of ours at {state.root}; `kubeadm-verify up` brings one up"
        )
    joined = nodes.join(state, count, log=stderr_log)
    names = [node.name for node in joined]
    took = nodes.wait_addons(state, names)
    stderr_log(
        f"[addons] kube-proxy Ready on {', '.join(names)} and CoreDNS Ready after {took:.1f}s"
    )
    for name in names:
        print(name, flush=True)
    return ExitStatus.OK


__all__ = ["run"]
