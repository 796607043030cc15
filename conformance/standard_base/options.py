"""Command-line options of the cluster tier's suite, declared through the kubeadm-verify plugin."""

from __future__ import annotations

import pytest


def add_cluster_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeadm-verify cluster", "kubeadm-verify cluster tier")
    group.addoption("--kv-focus", default=None, help="run only tests whose id matches this regex")
    group.addoption("--kv-skip", default=None, help="skip tests whose id matches this regex")
    group.addoption(
        "--kv-run-id",
        default=None,
        help="label value for the objects made outside test namespaces (default: per session)",
    )
