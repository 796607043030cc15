"""The one way to a cluster, for every tier, the fixtures and the CLI.

``resolve`` finds the configuration as kubectl does (``kubeconfig``), ``load`` builds the client
and ``check_connection``/``reach`` prove the cluster answers us (``connect``), and
``single_kubeconfig`` hands the same target to a tool that takes one file (``handoff``).
``Client`` is the light client for code that must not import the official one (the bootstrap),
every exchange through ``rawhttp``'s deadline and cap; ``wait_for`` is the one poll. The
CLI resolves and checks once and passes the resulting :class:`Target` on; nothing below it reads
a kubeconfig another way.
"""

from __future__ import annotations

from typing import Any

from kubeadm_verify.access.client import ApiError, Client, collection_path
from kubeadm_verify.access.connect import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    anonymous_pool,
    check_client_pair,
    check_connection,
    describe_failure,
    load,
    reach,
)
from kubeadm_verify.access.handoff import single_kubeconfig
from kubeadm_verify.access.kubeconfig import (
    IN_CLUSTER,
    SERVICE_ACCOUNT_DIR,
    InCluster,
    Target,
    check_context,
    merged,
    resolve,
)
from kubeadm_verify.access.wait import WaitAborted, WaitFailed, WaitTimedOut, wait_for


def connect(target: Target) -> tuple[Any, str]:
    """A checked client (reached, authenticated, allowed to create namespaces) and its context;
    the caller closes the client."""
    api_client, context = load(target)
    try:
        check_connection(api_client, context)
    except BaseException:
        api_client.close()
        raise
    return api_client, context


__all__ = [
    "CONNECT_TIMEOUT_S",
    "IN_CLUSTER",
    "READ_TIMEOUT_S",
    "SERVICE_ACCOUNT_DIR",
    "ApiError",
    "Client",
    "InCluster",
    "Target",
    "WaitAborted",
    "WaitFailed",
    "WaitTimedOut",
    "anonymous_pool",
    "check_client_pair",
    "check_connection",
    "check_context",
    "collection_path",
    "connect",
    "describe_failure",
    "load",
    "merged",
    "reach",
    "resolve",
    "single_kubeconfig",
    "wait_for",
]
