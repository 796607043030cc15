"""The registry and ``execute``: role skips, kubeadm's ignore semantics, errors never pass."""

from __future__ import annotations

import pytest

from kubeadm_verify.checks import (
    CONTROL_PLANE,
    Finding,
    Registry,
    execute,
    failed,
    passed,
    problem,
    unknown,
    warned,
)
from kubeadm_verify.errors import UsageError
from kubeadm_verify.ignores import parse_ignore_list, unknown_names
from kubeadm_verify.results import Severity, Status


def make_registry() -> Registry[dict[str, int]]:
    registry: Registry[dict[str, int]] = Registry("test")

    @registry.check("Always", severity=Severity.ERROR)
    def always(ctx: dict[str, int]) -> Finding:
        """Passes when the value is positive."""
        return passed("fine") if ctx["value"] > 0 else failed("not positive", "make it positive")

    @registry.check("Broken", severity=Severity.WARNING)
    def broken(ctx: dict[str, int]) -> Finding:
        return passed(str(1 // ctx["value"]))

    @registry.check("OnlyCP", severity=Severity.ERROR, roles=CONTROL_PLANE)
    def only_cp(ctx: dict[str, int]) -> Finding:
        return failed("always fails")

    return registry


def test_registry_keeps_declaration_order_and_summary() -> None:
    registry = make_registry()
    assert registry.ids() == ["Always", "Broken", "OnlyCP"]
    assert registry.get("Always").summary == "Passes when the value is positive."
    assert registry.get("OnlyCP").roles == CONTROL_PLANE


def test_duplicate_ids_are_refused_case_insensitively() -> None:
    registry = make_registry()
    with pytest.raises(ValueError, match="declared twice"):
        registry.check("always", severity=Severity.ERROR)(lambda ctx: passed())


def test_failure_and_pass() -> None:
    check = make_registry().get("Always")
    bad = execute(check, {"value": 0}, role="worker")
    assert (bad.status, bad.severity, bad.remediation) == (
        Status.FAIL,
        Severity.ERROR,
        "make it positive",
    )
    good = execute(check, {"value": 1}, role="worker")
    assert (good.status, good.message) == (Status.PASS, "fine")
    assert good.duration_s >= 0


def test_an_exception_is_an_error_with_evidence_never_a_pass() -> None:
    result = execute(make_registry().get("Broken"), {"value": 0}, role="worker")
    assert result.status is Status.ERROR
    assert result.details["exception"] == "ZeroDivisionError"
    assert "could not run" in result.message


def test_checks_outside_the_role_are_skipped() -> None:
    result = execute(make_registry().get("OnlyCP"), {"value": 1}, role="worker")
    assert result.status is Status.SKIP
    assert "worker" in result.message


@pytest.mark.parametrize("ignored", [{"onlycp"}, {"all"}])
def test_ignoring_downgrades_an_error_to_a_warning_but_still_runs(ignored: set[str]) -> None:
    result = execute(
        make_registry().get("OnlyCP"), {"value": 1}, role="control-plane", ignored=ignored
    )
    assert result.status is Status.WARN
    assert result.severity is Severity.WARNING
    assert result.details["ignored"] is True
    assert result.message == "always fails"


def test_ignoring_another_check_changes_nothing() -> None:
    result = execute(
        make_registry().get("OnlyCP"), {"value": 1}, role="control-plane", ignored={"always"}
    )
    assert result.status is Status.FAIL


def test_finding_helpers() -> None:
    assert unknown("the kernel config").message == "cannot determine the kernel config"
    assert unknown("x").status is Status.WARN
    assert warned("w").status is Status.WARN
    assert problem(Severity.ERROR, "p").status is Status.FAIL
    assert problem(Severity.WARNING, "p").status is Status.WARN


def test_ignore_list_parsing_follows_kubeadm() -> None:
    assert parse_ignore_list("NumCPU, Mem,,numcpu") == ["mem", "numcpu"]
    assert parse_ignore_list("ALL") == ["all"]
    with pytest.raises(UsageError, match="'all' is used"):
        parse_ignore_list("all,Swap")
    assert unknown_names(["numcpu", "typo", "all"], ["NumCPU", "Mem"]) == ["typo"]
