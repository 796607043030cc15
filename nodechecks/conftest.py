"""Builds the node context from the command-line options the kubeadm-verify plugin declares."""

from __future__ import annotations

import pytest

from nodechecks.context import NodeContext
from nodechecks.host import Host


def _names(value: object) -> list[str]:
    return [name.strip() for name in str(value or "").split(",") if name.strip()]


@pytest.fixture(scope="session")
def node_context(pytestconfig: pytest.Config) -> NodeContext:
    option = pytestconfig.getoption
    return NodeContext(
        host=Host(str(option("node_root"))),
        role=str(option("node_role")),
        kubernetes_version=str(option("node_kubernetes_version")),
        ignored=frozenset(name.lower() for name in _names(option("node_ignore_preflight_errors"))),
        pull_images=bool(option("node_pull_images")),
        bind_port=int(option("node_bind_port")),
        advertise_address=str(option("node_advertise_address") or ""),
        service_subnet=str(option("node_service_subnet") or ""),
        pod_subnet=str(option("node_pod_subnet") or ""),
        node_name=str(option("node_name") or ""),
        cri_socket=str(option("node_cri_socket") or ""),
        external_etcd_endpoints=tuple(_names(option("node_external_etcd_endpoints"))),
        external_etcd_ca=str(option("node_external_etcd_ca") or ""),
        external_etcd_cert=str(option("node_external_etcd_cert") or ""),
        external_etcd_key=str(option("node_external_etcd_key") or ""),
    )
