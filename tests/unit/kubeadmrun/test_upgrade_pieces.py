"""The upgrade's pieces that need no cluster: which releases it goes to, the configuration every
``kubeadm upgrade`` command reads, how the workload's answers are counted, and how steps are
named in the report."""

from __future__ import annotations

import pytest
import yaml

from bootstrap.kubeadmrun import kubeadmconfig
from bootstrap.kubeadmrun.keepanswering import Counted, count, parse_prober_log
from bootstrap.kubeadmrun.upgrade import (
    APPLY_TIMEOUT_S,
    PLAN_TIMEOUT_S,
    Step,
    UpgradeOptions,
    check_target,
)
from bootstrap.kubeadmrun.upgradereport import Span, role_names, step_result, unanswered
from bootstrap.runtime.nodes.addressing import Plan
from bootstrap.runtime.nodes.record import NodesRecord
from kubeadm_verify.errors import UsageError
from kubeadm_verify.results import Status


def test_an_upgrade_goes_to_a_newer_patch_or_the_next_minor_only() -> None:
    assert check_target("v1.36.3", "1.37.2") == "v1.37.2"
    assert check_target("v1.36.1", "v1.36.3") == "v1.36.3"
    with pytest.raises(UsageError, match="one minor release at a time"):
        check_target("v1.35.0", "v1.37.2")
    with pytest.raises(UsageError, match="goes to a newer one"):
        check_target("v1.37.2", "v1.37.2")
    with pytest.raises(UsageError, match="goes to a newer one"):
        check_target("v1.37.2", "v1.36.3")


def test_every_upgrade_command_reads_the_target_the_patches_and_the_ignored_checks() -> None:
    config = yaml.safe_load(kubeadmconfig.upgrade_config("v1.37.2"))
    assert config["kind"] == "UpgradeConfiguration"
    assert config["apiVersion"] == kubeadmconfig.API_VERSION
    for section in ("plan", "diff", "apply"):
        assert config[section]["kubernetesVersion"] == "v1.37.2", section
    for section in ("apply", "node"):
        assert config[section]["patches"] == {"directory": kubeadmconfig.UPGRADE_PATCHES_DIR}
        assert config[section]["imagePullPolicy"] == "Never"
        assert config[section]["ignorePreflightErrors"] == sorted(
            kubeadmconfig.UPGRADE_IGNORED_PREFLIGHT_ERRORS
        )
    assert "timeouts" not in config, "kubeadm's own five minutes unless asked"
    waited = yaml.safe_load(kubeadmconfig.upgrade_config("v1.37.2", upgrade_manifests_s=90))
    assert waited["timeouts"] == {"upgradeManifests": "90s"}
    assert "etcdUpgrade" not in config["apply"], "kubeadm upgrades etcd unless asked"
    kept = yaml.safe_load(kubeadmconfig.upgrade_config("v1.37.2", etcd_upgrade=False))
    assert kept["apply"]["etcdUpgrade"] is False and kept["node"]["etcdUpgrade"] is False


def test_a_shorter_static_pod_wait_never_shortens_a_step_s_own_bound() -> None:
    assert UpgradeOptions().kubeadm_timeout("upgrade apply") == APPLY_TIMEOUT_S
    assert UpgradeOptions(upgrade_manifests_s=60).kubeadm_timeout("upgrade apply") == (
        APPLY_TIMEOUT_S
    )
    assert UpgradeOptions(upgrade_manifests_s=600).kubeadm_timeout("upgrade apply") == 2520
    assert UpgradeOptions(upgrade_manifests_s=600).kubeadm_timeout("upgrade plan") == (
        PLAN_TIMEOUT_S
    )


def test_the_longest_gap_runs_from_one_answer_to_the_next() -> None:
    samples = [(0.0, True), (0.2, False), (0.4, False), (0.6, True), (0.8, True)]
    counted = count(samples)
    assert (counted.made, counted.failed) == (5, 2)
    assert counted.longest_gap_s == pytest.approx(0.6)
    assert count([(1.0, False), (3.0, False)]).longest_gap_s == pytest.approx(2.0)
    assert count([]) == Counted(0, 0, 0.0)


def test_the_prober_s_log_is_read_line_by_line_and_a_cut_line_is_left_out() -> None:
    text = "100.01 ok\n100.21 fail\ngarbage\n100.4\n100.61 ok\n"
    assert parse_prober_log(text) == [(100.01, True), (100.21, False), (100.61, True)]


def test_steps_are_named_by_role_and_place_and_a_failure_names_the_node() -> None:
    nodes = NodesRecord(Plan("abc123", 1, "10.244.0.0/16"))
    for index, control_plane in ((0, True), (1, True), (2, False), (3, False)):
        nodes.nodes.append(nodes.new_entry(index, f"kvn-abc123-n{index}", control_plane))
    names = role_names(nodes.nodes)
    assert [names[f"kvn-abc123-n{i}"] for i in range(4)] == [
        "control-plane-1",
        "control-plane-2",
        "worker-1",
        "worker-2",
    ]
    passed = step_result(Step("kvn-abc123-n0", "upgrade apply", 61.2), names)
    assert passed.id == "upgrade/control-plane-1/upgrade-apply"
    assert passed.status is Status.PASS
    failed = step_result(Step("kvn-abc123-n3", "drain", 3.0, "kubectl drain failed"), names)
    assert failed.status is Status.FAIL
    assert "kvn-abc123-n3" in failed.message and "kubectl drain failed" in failed.message


def test_an_unanswered_request_is_placed_in_the_step_that_was_running() -> None:
    spans = [Span(10.0, 20.0, "n1: drain"), Span(20.0, 35.0, "n1: kubelet")]
    counted = Counted(
        5,
        4,
        2.4,
        unanswered=((5.0, "a"), (12.0, "b"), (30.0, "c"), (40.0, "d")),
    )
    assert unanswered(counted, spans) == [
        {"asked": "a", "during": "before the first step"},
        {"asked": "b", "during": "n1: drain"},
        {"asked": "c", "during": "n1: kubelet"},
        {"asked": "d", "during": "after n1: kubelet"},
    ]
    many = Counted(9, 9, 9.0, unanswered=tuple((float(i), "x") for i in range(9)))
    assert len(unanswered(many, spans)) == 5
