"""The pytest plugin (entry point ``pytest11``): the options the cluster tiers' suites read.

pytest loads this module in every session on a machine where kubeadm-verify is installed, so it
imports nothing heavy: the cluster fixtures import the kubernetes client only when used. The node
tier declares its own options in ``nodechecks.plugin``.
"""

from __future__ import annotations

import pytest

from conformance.options import add_cluster_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_cluster_options(parser)
