"""``kubeadm-verify cluster --up``: one local cluster, up before the suite, down after it.

The cluster comes up in this process, before pytest starts, so every xdist worker of a
``--parallel`` run is pointed at the same admin kubeconfig instead of bringing up its own. It
listens on free ports, and, as ``kubeadm init`` does by default, advertises the address of the
default route (a loopback advertise address leaves the ``kubernetes`` Service without
endpoints). It goes down in ``finally``, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.configtypes import BootstrapConfig
    from bootstrap.handle import ClusterHandle

SIMULATED_NODES = 2


def default_route_address() -> str | None:
    """The local address of the default route (a UDP "connect" sends nothing), if any."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("203.0.113.1", 9))  # TEST-NET-3: goes by the default route
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_loopback else address


def with_advertise_address(config: BootstrapConfig, address: str | None) -> BootstrapConfig:
    """kubeadm's default advertise address where the configuration leaves it at the loopback."""
    current = config.endpoint.advertise_address
    if address is None or not ipaddress.ip_address(current).is_loopback:
        return config
    return replace(config, endpoint=replace(config.endpoint, advertise_address=address))


@contextlib.contextmanager
def local_cluster(name: str, config_file: str | None,
                  log: Callable[[str], None]) -> Iterator[ClusterHandle]:
    from bootstrap.cluster import interruptible, teardown, uninterruptible, up
    from bootstrap.fixtures import free_port_config
    from bootstrap.state import StateDir

    config = with_advertise_address(free_port_config(config_file), default_route_address())
    state = StateDir.for_cluster(name)
    with interruptible():  # SIGTERM becomes KeyboardInterrupt, so the finally below runs
        try:
            yield up(name, config, simulated_nodes=SIMULATED_NODES, log=log,
                     skip_phases=("preflight",))
        finally:
            with uninterruptible():
                teardown(state)
