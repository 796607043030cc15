"""The settings objects: built once, checked on construction, one run id minted in one place."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kubeadm_verify.access import Target
from kubeadm_verify.errors import UsageError
from kubeadm_verify.settings import ClusterSettings, E2ESettings, UpSettings, new_run_id


def test_run_ids_are_label_values() -> None:
    run_id = new_run_id()
    assert len(run_id) <= 63 and run_id.replace("-", "").isalnum()
    assert new_run_id() != run_id


def test_cluster_settings_check_their_fields() -> None:
    with pytest.raises(UsageError, match="--focus"):
        ClusterSettings(focus="(")
    with pytest.raises(UsageError, match="--parallel 0"):
        ClusterSettings(parallel=0)
    with pytest.raises(UsageError, match="--allowed-not-ready-nodes -1"):
        ClusterSettings(allowed_not_ready_nodes=-1)
    with pytest.raises(UsageError, match="--up brings up its own cluster"):
        ClusterSettings(up=True, target=Target((Path("/k"),), None))
    assert ClusterSettings().run_id != ClusterSettings().run_id


def test_settings_survive_the_trip_to_an_xdist_worker() -> None:
    settings = ClusterSettings(target=Target((Path("/k"),), "ctx"), focus="^apps/")
    assert pickle.loads(pickle.dumps(settings)) == settings  # noqa: S301 (our own bytes)


def test_e2e_settings_need_a_cluster_unless_a_dry_run_names_the_version() -> None:
    fields = {
        "mode": "quick",
        "mirror": "https://dl.k8s.io",
        "test_package": None,
        "test_package_sha256": None,
        "focus": None,
        "skip": None,
        "procs": 1,
        "timeout": "30m",
        "timeout_s": 1800.0,
        "download_timeout_s": 1800.0,
    }
    E2ESettings(version="v1.37.2", target=None, dry_run=True, **fields)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="needs a cluster"):
        E2ESettings(version=None, target=None, dry_run=True, **fields)  # type: ignore[arg-type]


def test_up_settings() -> None:
    with pytest.raises(UsageError, match="--simulated-nodes"):
        UpSettings(simulated_nodes=-1)
    with pytest.raises(UsageError, match="--kubernetes-version"):
        UpSettings(kubernetes_version="latest")
