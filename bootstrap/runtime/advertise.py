"""kubeadm's default advertise address: the local address of the default route.

Used where the configuration gives none (``localAPIEndpoint.advertiseAddress``); an address the
file sets, loopback included, is kept.

A loopback advertise address leaves the ``kubernetes`` Service without endpoints (kube-apiserver
will not publish a loopback address), so a local cluster advertises what ``kubeadm init`` would.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING

from kubeadm_verify.record import replace

if TYPE_CHECKING:
    from bootstrap.kubeadm.configtypes import BootstrapConfig


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
    """``address`` (kubeadm's default) where the configuration does not set one itself."""
    if address is None or config.endpoint.advertise_given:
        return config
    return replace(
        config, endpoint=replace(config.endpoint, advertise_address=address, advertise_given=True)
    )
