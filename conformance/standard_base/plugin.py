"""The Standard Base's own pytest plugin (entry point ``pytest11``): its options, its settings.

``kubeadm-verify cluster`` hands the suite a ``ClusterSettings`` object through the core runner;
a plain ``pytest --pyargs conformance.standard_base`` gets one built here, once, from the
``--kv-*`` options, so both read the same object. pytest loads this module in every session on
the machine, so it imports nothing heavy; the cluster to test is the fixtures' business
(``bootstrap.fixtures``: ``--kv-kubeconfig``, ``--kv-existing``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from kubeadm_verify.verboptions import STANDARD_BASE_PLUGIN_OPTIONS

if TYPE_CHECKING:
    from kubeadm_verify.settings import ClusterSettings


def pytest_addoption(parser: pytest.Parser) -> None:
    """The tier's options, as declared with the cluster verb's (``kubeadm_verify.verboptions``):
    ``--kv-focus`` is ``kubeadm-verify cluster --focus``."""
    group = parser.getgroup("kubeadm-verify cluster", "kubeadm-verify cluster tier")
    for option in STANDARD_BASE_PLUGIN_OPTIONS:
        option.add_to(group.addoption)


def cluster_settings(config: pytest.Config) -> ClusterSettings:
    """The settings handed over by the runner, else the ones the options give (kept in the
    stash, so the session builds them once)."""
    from kubeadm_verify.errors import VerifyError
    from kubeadm_verify.runner import SETTINGS, settings_of
    from kubeadm_verify.settings import ClusterSettings, new_run_id

    settings = settings_of(config, ClusterSettings)
    if settings is not None:
        return settings
    option = config.getoption
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    run_id = option("kv_run_id") or new_run_id() + (f"-{worker}" if worker else "")
    try:
        settings = ClusterSettings(
            focus=option("kv_focus"),
            skip=option("kv_skip"),
            allowed_not_ready_nodes=option("kv_allowed_not_ready_nodes"),
            run_id=str(run_id),
        )
    except VerifyError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS] = settings
    return settings


__all__ = ["cluster_settings", "pytest_addoption"]
