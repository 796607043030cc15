"""The node tier's settings, apart from the other verbs': ``kubeadm-verify node`` is timed against
kubeadm's own preflight, and building the other verbs' frozen classes is a measurable share of its
start. ``kubeadm_verify.settings`` re-exports them with the rest.

Construction is validation, as for every settings object: what is wrong is an ``InputError`` or
``UsageError`` naming the flag.
"""

from __future__ import annotations

import os
import re

from kubeadm_verify.errors import InputError, UsageError
from kubeadm_verify.pins import (
    DEFAULT_BIND_PORT,
    DEFAULT_ROLE,
    DEFAULT_SERVICE_SUBNET,
    KUBERNETES_VERSION,
)
from kubeadm_verify.record import field, record

ROLES = ("control-plane", "worker")
VERSION_PATTERN = (
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
"""A version as apimachinery's ``util/version`` parses it (the node tier orders them too)."""


@record
class ExternalEtcd:
    """``etcd.external`` of a kubeadm ClusterConfiguration: set, it replaces the local etcd."""

    endpoints: tuple[str, ...] = ()
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""


@record
class NodeSettings:
    """The node tier's whole input: the host's root, the role, and the kubeadm configuration
    fields its checks read. ``ignored`` holds lower-cased check ids (or ``all``)."""

    root: str = "/"
    role: str = DEFAULT_ROLE
    kubernetes_version: str = KUBERNETES_VERSION
    ignored: frozenset[str] = frozenset()
    pull_images: bool = False
    bind_port: int = DEFAULT_BIND_PORT
    advertise_address: str = ""
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    pod_subnet: str = ""
    node_name: str = ""
    cri_socket: str = ""
    etcd: ExternalEtcd = field(default_factory=ExternalEtcd)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UsageError(f"--role {self.role!r} is not one of {', '.join(ROLES)}")
        if re.match(VERSION_PATTERN, self.kubernetes_version.strip()) is None:
            raise InputError(
                f"--kubernetes-version {self.kubernetes_version!r} is not a version such as v1.37.2"
            )
        if not 0 < self.bind_port < 65536:
            raise InputError(f"localAPIEndpoint.bindPort {self.bind_port} is not a port number")
        if "all" in self.ignored and len(self.ignored) > 1:
            raise UsageError("don't specify individual checks if 'all' is used")
        if any(name != name.lower() for name in self.ignored):
            raise UsageError("ignored check ids must be lower-cased")
        _check_root(self.root)


def _check_root(root: str) -> None:
    if not os.path.isdir(root):
        raise InputError(f"the host root {root} does not exist or is not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise InputError(f"the host root {root} is not readable")


__all__ = ["ROLES", "VERSION_PATTERN", "ExternalEtcd", "NodeSettings"]
