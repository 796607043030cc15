"""The two fields of a kubeadm config the node tier needs beyond ``bootstrap.kubeadm.config``'s
object: ``nodeRegistration.criSocket`` and ``etcd.external``.

``bootstrap.kubeadm.config`` does not carry them yet (it warns that they are unsupported), and
without
them an external-etcd control plane would get local-etcd verdicts. They are read here from the
same file, after a bounded read that refuses what is not a regular file, so a FIFO or a huge file
given as ``--config`` is one clear error rather than a hang.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from kubeadm_verify.errors import InputError
from kubeadm_verify.nodesettings import ExternalEtcd
from nodechecks.host import Host, UnreadableHostFile

MAX_CONFIG_BYTES = 1024 * 1024
CONSUMED_FIELDS = (
    "nodeRegistration.criSocket: unknown or unsupported field, ignored",
    "etcd.external: unknown or unsupported field, ignored",
)
"""Warnings of the config reader about fields this module reads, so not shown as ignored."""


class NodeFields(NamedTuple):
    cri_socket: str = ""
    etcd: ExternalEtcd = ExternalEtcd()


def read_config_text(path: str) -> str:
    """The config file's text: a regular file of at most ``MAX_CONFIG_BYTES``, opened
    non-blocking; anything else is an ``InputError`` naming the path and why."""
    try:
        data = Host("/").read_bytes(os.path.abspath(path), MAX_CONFIG_BYTES)
    except UnreadableHostFile as exc:
        raise InputError(f"--config {path}: {exc.reason}") from None
    except OSError as exc:
        raise InputError(f"--config {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"--config {path}: not UTF-8 text") from None


def node_fields(text: str, source: str) -> NodeFields:
    """criSocket from the Init/JoinConfiguration, etcd.external from the ClusterConfiguration."""
    from kubeadm_verify import yamlread

    try:
        documents = [d for d in yamlread.load_all(text) if isinstance(d, dict)]
    except yamlread.YAMLError:
        return NodeFields()  # the config reader reports the syntax error itself
    cri_socket, etcd = "", ExternalEtcd()
    for document in documents:
        kind = document.get("kind")
        if kind in ("InitConfiguration", "JoinConfiguration"):
            registration = document.get("nodeRegistration") or {}
            if isinstance(registration, dict):
                cri_socket = _string(registration.get("criSocket"), source, "criSocket")
        elif kind == "ClusterConfiguration":
            etcd = _external_etcd(document.get("etcd"), source)
    return NodeFields(cri_socket, etcd)


def _external_etcd(value: object, source: str) -> ExternalEtcd:
    external = value.get("external") if isinstance(value, dict) else None
    if not isinstance(external, dict):
        return ExternalEtcd()
    endpoints = external.get("endpoints") or []
    if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
        raise InputError(f"{source}: etcd.external.endpoints must be a list of URLs")
    if not endpoints:
        raise InputError(f"{source}: etcd.external.endpoints: Required value")
    return ExternalEtcd(
        tuple(endpoints),
        _string(external.get("caFile"), source, "etcd.external.caFile"),
        _string(external.get("certFile"), source, "etcd.external.certFile"),
        _string(external.get("keyFile"), source, "etcd.external.keyFile"),
    )


def _string(value: object, source: str, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{source}: {name} must be a string")
    return value
