"""The pytest plugin (entry point ``pytest11``): the options the tiers' suites read.

pytest loads this module in every session on a machine where kubeadm-verify is installed, so it
imports nothing heavy: the cluster fixtures import the kubernetes client only when used.
"""

from __future__ import annotations

import pytest

from conformance.options import add_cluster_options
from nodechecks.defaults import (
    DEFAULT_BIND_PORT,
    DEFAULT_KUBERNETES_VERSION,
    DEFAULT_SERVICE_SUBNET,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    node = parser.getgroup("kubeadm-verify node", "kubeadm-verify node tier")
    node.addoption("--node-root", default="/", help="root of the host to check (default /)")
    node.addoption(
        "--node-role",
        default="control-plane",
        choices=["control-plane", "worker"],
        help="role the node is checked for",
    )
    node.addoption(
        "--node-kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        help="Kubernetes version the node is checked for",
    )
    node.addoption("--node-ignore-preflight-errors", default="", help="comma-separated check ids")
    node.addoption("--node-pull-images", action="store_true", help="also run ImagePull (mutates)")
    node.addoption("--node-bind-port", type=int, default=DEFAULT_BIND_PORT,
                   help="API server bindPort (names the Port-<bindPort> check)")
    node.addoption("--node-advertise-address", default="", help="API server advertise address")
    node.addoption("--node-service-subnet", default=DEFAULT_SERVICE_SUBNET,
                   help="service CIDR(s), comma-separated")
    node.addoption("--node-pod-subnet", default="", help="pod CIDR(s), comma-separated")
    node.addoption("--node-name", default="", help="node name (default: the host name)")
    node.addoption("--node-cri-socket", default="", help="CRI endpoint (default: detected)")
    node.addoption("--node-external-etcd-endpoints", default="",
                   help="external etcd endpoints, comma-separated (enables ExternalEtcd*)")
    node.addoption("--node-external-etcd-ca", default="", help="external etcd CA file")
    node.addoption("--node-external-etcd-cert", default="", help="external etcd client cert")
    node.addoption("--node-external-etcd-key", default="", help="external etcd client key")
    add_cluster_options(parser)
