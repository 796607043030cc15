"""Ports: kubeadm's by default, free ones where the configuration says 0.

A port asked for as 0 is resolved once, when the cluster is first brought up, and recorded in the
state dir, so every later ``phase`` run renders the same command lines. The free port comes from
the kernel (bind to port 0), skipping any port another of our clusters has recorded: two clusters
resolving at the same moment cannot then pick each other's ports once either has recorded them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import random
import socket
from collections.abc import Iterable
from pathlib import Path

from bootstrap.kubeadm.configtypes import (
    APIEndpoint,
    BootstrapConfig,
    ClusterConfiguration,
    ExtraArg,
    LocalPorts,
)
from bootstrap.runtime.state import CLUSTER_RECORD, clusters_root
from kubeadm_verify.record import fields, replace

PORT_FIELDS = (
    "bind_port",
    "etcd_client",
    "etcd_peer",
    "etcd_metrics",
    "controller_manager",
    "scheduler",
)
_ATTEMPTS = 200
_LOWEST = 20000
_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def can_bind(port: int, host: str = "127.0.0.1") -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections."""
    try:
        low, high = _PORT_RANGE.read_text(encoding="ascii").split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1", avoid: Iterable[int] = ()) -> int:
    """A port nothing is bound to now, not in ``avoid``, below the kernel's ephemeral range.

    Not the kernel's own pick (bind to port 0): that comes from the ephemeral range, where any
    outgoing connection may take the port in the moment between our pick and the component's
    bind. Below that range only a listener can take it, and we check for listeners.
    """
    avoided = set(avoid)
    low = min(ephemeral_range()[0], 32768)
    wildcard = "::" if ":" in host else "0.0.0.0"  # noqa: S104 (probing, not serving)
    chooser = random.SystemRandom()
    for _ in range(_ATTEMPTS):
        port = chooser.randrange(_LOWEST, low)
        if port in avoided:
            continue
        if can_bind(port, wildcard) and can_bind(port, host):
            return port
        avoided.add(port)
    raise OSError(errno.EADDRINUSE, f"no free port found on {host} after {_ATTEMPTS} tries")


def recorded_ports(root: Path | None = None) -> set[int]:
    """Every port recorded by a cluster under ``root`` (default: our clusters dir)."""
    found: set[int] = set()
    base = root or clusters_root()
    with contextlib.suppress(OSError):
        for record in base.glob(f"*/{CLUSTER_RECORD}"):
            with contextlib.suppress(OSError, ValueError):
                ports = json.loads(record.read_text(encoding="utf-8")).get("ports", {})
                found.update(int(value) for value in ports.values() if int(value) > 0)
    return found


def wanted_ports(config: BootstrapConfig) -> dict[str, int]:
    """The six ports as configured (0 = to be picked)."""
    ports = config.ports
    return {
        "bind_port": config.endpoint.bind_port,
        "etcd_client": ports.etcd_client,
        "etcd_peer": ports.etcd_peer,
        "etcd_metrics": ports.etcd_metrics,
        "controller_manager": ports.controller_manager,
        "scheduler": ports.scheduler,
    }


def pick(
    config: BootstrapConfig, recorded: dict[str, int] | None = None, avoid: Iterable[int] = ()
) -> dict[str, int]:
    """Every port: as configured when fixed, as recorded when already picked, else a free one."""
    chosen: dict[str, int] = {}
    taken = set(avoid)
    for name, port in wanted_ports(config).items():
        if port == 0 and recorded and int(recorded.get(name, 0)) > 0:
            port = int(recorded[name])
        if port == 0:
            port = free_port(config.endpoint.advertise_address, taken)
        taken.add(port)
        chosen[name] = port
    return chosen


def _secure_port(args: tuple[ExtraArg, ...], port: int) -> tuple[ExtraArg, ...]:
    """A ``secure-port=0`` extraArg means "pick one" here; the picked port is what must run."""
    return tuple(
        ExtraArg(a.name, str(port)) if a.name == "secure-port" and a.value == "0" else a
        for a in args
    )


def apply(config: BootstrapConfig, ports: dict[str, int]) -> BootstrapConfig:
    """``config`` with every port resolved (no zeros left anywhere a component would see)."""
    cluster: ClusterConfiguration = replace(
        config.cluster,
        controller_manager_extra_args=_secure_port(
            config.cluster.controller_manager_extra_args, ports["controller_manager"]
        ),
        scheduler_extra_args=_secure_port(config.cluster.scheduler_extra_args, ports["scheduler"]),
    )
    endpoint: APIEndpoint = replace(config.endpoint, bind_port=ports["bind_port"])
    local = LocalPorts(
        etcd_client=ports["etcd_client"],
        etcd_peer=ports["etcd_peer"],
        etcd_metrics=ports["etcd_metrics"],
        controller_manager=ports["controller_manager"],
        scheduler=ports["scheduler"],
    )
    return replace(config, cluster=cluster, endpoint=endpoint, ports=local)


def all_free(config: BootstrapConfig) -> BootstrapConfig:
    """Every port left at kubeadm's default set to 0 (a free one), the API server's included,
    so a second cluster on this machine collides with nothing; ports the file sets are kept."""
    defaults, given = LocalPorts(), config.ports
    local = LocalPorts(
        **{
            name: 0 if getattr(given, name) == getattr(defaults, name) else getattr(given, name)
            for name in fields(defaults)
        }
    )
    bind = config.endpoint.bind_port
    endpoint = replace(config.endpoint, bind_port=0 if bind == APIEndpoint().bind_port else bind)
    return replace(config, ports=local, endpoint=endpoint)


def busy(ports: dict[str, int], host: str = "127.0.0.1") -> dict[str, int]:
    """The ports of ``ports`` that something already listens on."""
    return {name: port for name, port in ports.items() if is_listening(port, host)}


__all__ = [
    "PORT_FIELDS",
    "all_free",
    "apply",
    "busy",
    "can_bind",
    "free_port",
    "is_listening",
    "pick",
    "recorded_ports",
    "wanted_ports",
]
