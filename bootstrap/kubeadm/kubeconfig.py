"""The ``kubeconfig`` phase: admin, super-admin, kubelet, controller-manager and scheduler files.

As ``cmd/kubeadm/app/phases/kubeconfig``: each file holds one cluster (the CA embedded), one user
with a client certificate signed by the cluster CA (CN = user, O = its groups) and one context
``<user>@<cluster>``. A file that exists is kept if it has the same CA; a different server URL
is only a warning, as in kubeadm.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bootstrap.kubeadm.certspec import CLIENT_AUTH, AltNames
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.files import write_private
from bootstrap.kubeadm.pki import load_ca
from bootstrap.kubeadm.pkiutil import (
    encode_certificate,
    encode_private_key,
    new_private_key,
    new_signed_certificate,
)
from bootstrap.kubeadm.yamlio import dump_yaml
from kubeadm_verify.access.kubeconfig import Target, cluster_of, merged
from kubeadm_verify.errors import BootstrapError, InputError

Log = Callable[[str], None]
KubeconfigPhase = Callable[[BootstrapConfig, Path, Log], None]
CLUSTER_ADMINS_GROUP = "kubeadm:cluster-admins"
SYSTEM_MASTERS_GROUP = "system:masters"
NODES_GROUP = "system:nodes"


@dataclass(frozen=True)
class KubeconfigSpec:
    """One file: its name and the identity its client certificate carries."""

    file_name: str
    user: str
    organizations: tuple[str, ...] = ()


def kubeconfig_spec(name: str, config: BootstrapConfig) -> KubeconfigSpec:
    """``getKubeConfigSpecsBase`` for a ``kubeconfig/<name>`` sub-phase."""
    specs = {
        "admin": KubeconfigSpec("admin.conf", "kubernetes-admin", (CLUSTER_ADMINS_GROUP,)),
        "super-admin": KubeconfigSpec(
            "super-admin.conf", "kubernetes-super-admin", (SYSTEM_MASTERS_GROUP,)
        ),
        "kubelet": KubeconfigSpec(
            "kubelet.conf", f"system:node:{config.node.name}", (NODES_GROUP,)
        ),
        "controller-manager": KubeconfigSpec(
            "controller-manager.conf", "system:kube-controller-manager"
        ),
        "scheduler": KubeconfigSpec("scheduler.conf", "system:kube-scheduler"),
    }
    return specs[name]


def client_cert_kubeconfig(
    server: str, cluster: str, user: str, ca_pem: bytes, cert_pem: bytes, key_pem: bytes
) -> dict[str, Any]:
    """``kubeconfigutil.CreateWithCerts``."""
    return _kubeconfig(
        server,
        cluster,
        user,
        ca_pem,
        {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)},
    )


def token_kubeconfig(
    server: str, cluster: str, user: str, ca_pem: bytes, token: str
) -> dict[str, Any]:
    """``kubeconfigutil.CreateWithToken``, as in a joining node's ``bootstrap-kubelet.conf``."""
    return _kubeconfig(server, cluster, user, ca_pem, {"token": token})


def cluster_only_kubeconfig(server: str, ca_pem: bytes) -> dict[str, Any]:
    """The kubeconfig in ``cluster-info``: the admin cluster under the empty name, nothing else."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "",
        "clusters": [{"name": "", "cluster": _cluster(server, ca_pem)}],
        "contexts": None,
        "users": None,
    }


def render(kubeconfig: Mapping[str, Any]) -> str:
    """The file text, as ``clientcmd.Write`` lays it out."""
    return dump_yaml(kubeconfig)


def create_kubeconfig(
    name: str, config: BootstrapConfig, kubeconfig_dir: Path, log: Log, pki_dir: Path | None = None
) -> None:
    """Write ``<kubeconfig_dir>/<name>.conf`` signed by the CA in ``pki_dir`` (default ``pki/``)."""
    spec = kubeconfig_spec(name, config)
    path = kubeconfig_dir / spec.file_name
    if config.endpoint.bind_port == 0:
        raise BootstrapError(f"cannot write {spec.file_name}: the API server port is still 0")
    ca_dir, server = pki_dir or kubeconfig_dir / "pki", config.endpoint.url
    if path.exists():
        _check_existing(path, _ca_pem(ca_dir), server, log)
        log(f'[kubeconfig] Using existing kubeconfig file: "{path}"')
        return
    ca_cert, ca_key = load_ca(ca_dir, "ca")
    ca_pem = encode_certificate(ca_cert)
    key = new_private_key(config.cluster.encryption_algorithm)
    cert = new_signed_certificate(
        key.public_key(),
        ca_cert,
        ca_key,
        (spec.user, spec.organizations),
        (CLIENT_AUTH,),
        AltNames(),
        config.cluster.certificate_validity,
        datetime.now(UTC),
    )
    kubeconfig = client_cert_kubeconfig(
        server,
        config.cluster.cluster_name,
        spec.user,
        ca_pem,
        encode_certificate(cert),
        encode_private_key(key),
    )
    log(f'[kubeconfig] Writing "{spec.file_name}" kubeconfig file')
    write_private(path, render(kubeconfig).encode())


def create_all(config: BootstrapConfig, kubeconfig_dir: Path, log: Log) -> None:
    """``kubeadm init phase kubeconfig all``."""
    log(f'[kubeconfig] Using kubeconfig folder "{kubeconfig_dir}"')
    for phase in KUBECONFIG_PHASES.values():
        phase(config, kubeconfig_dir, log)


def _phase(name: str) -> KubeconfigPhase:
    def run(config: BootstrapConfig, kubeconfig_dir: Path, log: Log) -> None:
        create_kubeconfig(name, config, kubeconfig_dir, log)

    run.__doc__ = f"Generate the {name} kubeconfig file."
    return run


KUBECONFIG_PHASES: Mapping[str, KubeconfigPhase] = MappingProxyType(
    {
        name: _phase(name)
        for name in ("admin", "super-admin", "kubelet", "controller-manager", "scheduler")
    }
)
"""``kubeconfig/<name>`` sub-phases in kubeadm's order, each ``(config, kubeconfig_dir, log)``."""


def _ca_pem(ca_dir: Path) -> bytes:
    """The cluster CA certificate alone: checking a kubeconfig needs no CA key (external CA)."""
    try:
        return (ca_dir / "ca.crt").read_bytes()
    except OSError as error:
        raise BootstrapError(
            f"couldn't load the ca certificate authority from {ca_dir}: {error.strerror}"
        ) from error


def _check_existing(path: Path, ca_pem: bytes, server: str, log: Log) -> None:
    try:
        cluster = cluster_of(merged(Target((path,), None)), str(path))
        current_ca = base64.b64decode(cluster["certificate-authority-data"])
        current_server = cluster["server"]
    except (InputError, KeyError, TypeError, ValueError) as error:
        raise BootstrapError(
            f"failed to load kubeconfig file {path} that already exists on disk: {error}"
        ) from error
    if current_ca.strip() != ca_pem.strip():
        raise BootstrapError(
            f'a kubeconfig file "{path}" exists already but has got the wrong CA cert'
        )
    if current_server != server:
        log(
            f'[kubeconfig] WARNING: a kubeconfig file "{path}" exists already but has an '
            f"unexpected API Server URL: expected: {server}, got: {current_server}"
        )


def _kubeconfig(
    server: str, cluster: str, user: str, ca_pem: bytes, credentials: dict[str, str]
) -> dict[str, Any]:
    context = f"{user}@{cluster}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": _cluster(server, ca_pem)}],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": user}}],
        "current-context": context,
        "users": [{"name": user, "user": credentials}],
    }


def _cluster(server: str, ca_pem: bytes) -> dict[str, str]:
    return {"certificate-authority-data": _b64(ca_pem), "server": server}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
