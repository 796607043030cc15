"""``kubeadm-verify cluster --up``: one local cluster, up before the suite, down after it.

The cluster comes up in this process, before pytest starts, so every xdist worker of a
``--parallel`` run is pointed at the same admin kubeconfig instead of bringing up its own. It
listens on free ports, and, as ``kubeadm init`` does by default, advertises the address of the
default route (a loopback advertise address leaves the ``kubernetes`` Service without
endpoints). It goes down in ``finally``, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.runtime.handle import ClusterHandle


SIMULATED_NODES = 2


@contextlib.contextmanager
def local_cluster(
    name: str,
    config_file: str | None,
    log: Callable[[str], None],
    simulated_nodes: int = SIMULATED_NODES,
) -> Iterator[ClusterHandle]:
    """The cluster, up; ``simulated_nodes=0`` leaves it without any Node (tests make their own)."""
    from bootstrap.fixtures import free_port_config
    from bootstrap.runtime.cluster import interruptible, teardown, uninterruptible, up
    from bootstrap.runtime.state import StateDir

    config = free_port_config(config_file)
    state = StateDir.for_cluster(name)
    with interruptible():  # SIGTERM becomes KeyboardInterrupt, so the finally below runs
        try:
            yield up(
                name, config, simulated_nodes=simulated_nodes, log=log, skip_phases=("preflight",)
            )
        finally:
            with uninterruptible():
                teardown(state)
