"""The pytest plugin (entry point ``pytest11``): the options the tiers' suites read.

pytest loads this module in every session on a machine where kubeadm-verify is installed, so it
imports nothing heavy: the cluster fixtures import the kubernetes client only when used.
"""

from __future__ import annotations

import pytest

from conformance.options import add_cluster_options
from nodechecks.context import DEFAULT_KUBERNETES_VERSION


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
    add_cluster_options(parser)
