"""One ``NodeSettings`` from the node tier's flags and the kubeadm config file.

Both ways into the tier, ``kubeadm-verify node`` and ``pytest --pyargs nodechecks``, call this
with the same values, so they judge the host against the same object. Flags win over the file,
as kubeadm's do; without ``--config`` the file's reader (and PyYAML) is never imported.
"""

from __future__ import annotations

import sys

from kubeadm_verify.ignores import parse_ignore_list
from kubeadm_verify.nodesettings import ExternalEtcd, NodeSettings
from kubeadm_verify.pins import DEFAULT_BIND_PORT, DEFAULT_ROLE, KUBERNETES_VERSION

LOCAL_ADVERTISE_DEFAULT = "127.0.0.1"
"""bootstrap's default advertise address for a local cluster, not one a file gave."""


def node_settings(
    *,
    root: str = "/",
    role: str | None = None,
    kubernetes_version: str | None = None,
    ignore_preflight_errors: str = "",
    config: str | None = None,
    pull_images: bool = False,
) -> NodeSettings:
    """The settings for one run; raises ``InputError``/``UsageError`` naming what is wrong."""
    names = parse_ignore_list(ignore_preflight_errors)
    if not config:
        return NodeSettings(
            root=root,
            role=role or DEFAULT_ROLE,
            ignored=frozenset(names),
            kubernetes_version=kubernetes_version or KUBERNETES_VERSION,
            pull_images=pull_images,
        )
    from kubeadm_verify import yamlprep

    yamlprep.import_yaml()  # before the reader imports it the usual way
    from bootstrap.kubeadm.config import load_config

    loaded = load_config(config)  # the one bounded read and strict parse of the file
    for warning in loaded.warnings:
        print(f"kubeadm-verify: {config}: {warning}", file=sys.stderr)
    cfg = loaded.config
    external = cfg.cluster.etcd_external
    names = parse_ignore_list([*names, *cfg.node.ignore_preflight_errors])
    role = role or cfg.role
    advertise = cfg.endpoint.advertise_address
    if role == "worker" and cfg.discovery is not None:
        # kubeadm join checks the proxy and forwarding against the API server it joins.
        advertise = cfg.discovery.api_server_endpoint.rsplit(":", 1)[0].strip("[]")
    elif advertise == LOCAL_ADVERTISE_DEFAULT:
        advertise = ""
    networking = cfg.cluster.networking
    return NodeSettings(
        root=root,
        role=role,
        ignored=frozenset(names),
        kubernetes_version=kubernetes_version or cfg.cluster.kubernetes_version,
        pull_images=pull_images,
        bind_port=cfg.endpoint.bind_port or DEFAULT_BIND_PORT,
        advertise_address=advertise,
        service_subnet=networking.service_subnet,
        pod_subnet=networking.pod_subnet,
        node_name=cfg.node.name,
        cri_socket=cfg.node.cri_socket,
        etcd=ExternalEtcd()
        if external is None
        else ExternalEtcd(
            external.endpoints, external.ca_file, external.cert_file, external.key_file
        ),
    )


__all__ = ["node_settings"]
