"""The kubeadm commands of a bring-up, each run inside its node (``commands.run_logged``):
``init`` on the first control plane, ``join`` on the others and on each worker.

Everything secret (the bootstrap token, the certificate key ``init --upload-certs`` encrypts
the shared certificates with) is handed to the run as a secret, so no log or message holds it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from cryptography import x509

from bootstrap.kubeadm.files import write_private
from bootstrap.kubeadm.tokens import ca_cert_hash, generate_token
from bootstrap.kubeadmrun import commands, kubeadmconfig, node, nodetier
from bootstrap.kubeadmrun.machine import enter_argv
from bootstrap.runtime.nodes import cgroups
from bootstrap.runtime.nodes.kubeletcfg import SYSTEMD_RUNNING
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.nodeparts import NodeParts

INIT_TIMEOUT_S = 300.0
JOIN_TIMEOUT_S = 180.0
JOIN_CONTROL_PLANE_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Credentials:
    """What a join needs that nobody else may see; ``certificate_key`` only with several
    control planes."""

    token: str = field(default_factory=lambda: generate_token().value)
    certificate_key: str = ""

    @classmethod
    def for_control_planes(cls, count: int) -> Credentials:
        return cls(certificate_key=secrets.token_hex(32) if count > 1 else "")

    @property
    def token_id(self) -> str:
        return self.token.split(".")[0]

    @property
    def secrets(self) -> list[str]:
        return [self.token, self.token.split(".")[-1], self.certificate_key]


def _kubelet_settings() -> dict[str, object]:
    return kubeadmconfig.machine_kubelet_settings(cgroups.is_v1(), SYSTEMD_RUNNING.is_dir())


def _run_kubeadm(
    state: StateDir,
    parts: NodeParts,
    booted: node.Booted,
    args: list[str],
    what: str,
    credentials: Credentials,
    timeout: float,
) -> None:
    argv = [*enter_argv(parts.host.nsenter, booted.holder), kubeadmconfig.KUBEADM_IN_NODE, *args]
    commands.run_logged(
        argv,
        node.machine_log(state, booted.entry.name, f"kubeadm-{what}"),
        timeout,
        what=f"kubeadm {what} on {booted.entry.name}",
        secrets=credentials.secrets,
        env=commands.command_env(node.path_dirs(parts)),
    )


def init(
    state: StateDir,
    parts: NodeParts,
    booted: node.Booted,
    credentials: Credentials,
    pod_subnet: str,
    service_subnet: str,
    control_plane_endpoint: str,
) -> None:
    """The node tier on the node, then ``kubeadm init`` (with ``--upload-certs`` when others
    will join as control planes), then the cluster's ``admin.conf`` copied to the state dir."""
    config = kubeadmconfig.init_config(
        name=booted.entry.name,
        address=booted.entry.address,
        version=parts.version,
        pod_subnet=pod_subnet,
        service_subnet=service_subnet,
        token=credentials.token,
        kubelet=_kubelet_settings(),
        control_plane_endpoint=control_plane_endpoint,
        certificate_key=credentials.certificate_key,
    )
    booted.machine.write(kubeadmconfig.CONFIG_PATH, config, mode=0o600)
    nodetier.check_node(state, parts, booted, credentials.secrets)
    args = ["init", "--config", kubeadmconfig.CONFIG_PATH, "--skip-token-print"]
    if credentials.certificate_key:
        args.append("--upload-certs")
    _run_kubeadm(state, parts, booted, args, "init", credentials, INIT_TIMEOUT_S)
    admin = booted.machine.host_view("/etc/kubernetes/admin.conf")
    write_private(state.admin_conf, admin.read_bytes())


def join(
    state: StateDir,
    parts: NodeParts,
    booted: node.Booted,
    endpoint: str,
    credentials: Credentials,
    ca_hash: str,
) -> None:
    """The node tier on the node, then ``kubeadm join``: as a control plane when the node is
    one (its etcd member too)."""
    control_plane = (
        (booted.entry.address, credentials.certificate_key) if booted.entry.control_plane else None
    )
    config = kubeadmconfig.join_config(
        name=booted.entry.name,
        endpoint=endpoint,
        token=credentials.token,
        ca_hash=ca_hash,
        control_plane=control_plane,
    )
    booted.machine.write(kubeadmconfig.CONFIG_PATH, config, mode=0o600)
    nodetier.check_node(state, parts, booted, credentials.secrets)
    args = ["join", "--config", kubeadmconfig.CONFIG_PATH]
    timeout = JOIN_CONTROL_PLANE_TIMEOUT_S if control_plane else JOIN_TIMEOUT_S
    _run_kubeadm(state, parts, booted, args, "join", credentials, timeout)


def ca_hash(booted: node.Booted) -> str:
    pem = booted.machine.host_view("/etc/kubernetes/pki/ca.crt").read_bytes()
    return ca_cert_hash(x509.load_pem_x509_certificate(pem))
