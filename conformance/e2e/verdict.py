"""Turn a finished run (its JUnit, its log, how ginkgo ended) into the common results model.

One ``CheckResult`` per spec that was selected: its id is the spec's full text, its
``conformance`` the codename it covers. Specs the focus did not select are left out. Around them:
a failed suite-level node becomes an ``error`` entry under its own name, curated specs missing
from this release a ``warn``, and an incomplete run one ``fail`` entry, ``e2e/completeness``,
whose message gives every reason, so a run that stopped can never read as a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from conformance.e2e.codenames import ConformanceList
from conformance.e2e.completeness import Exit, incompleteness, read_markers
from conformance.e2e.junitparse import Case, JUnitRun, JUnitUnreadable, State, parse_junit
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

COMPLETENESS_ID = "e2e/completeness"
_STATUS = MappingProxyType(
    {State.PASSED: Status.PASS, State.FAILED: Status.FAIL, State.SKIPPED: Status.SKIP}
)


def spec_result(case: Case, conformance: ConformanceList) -> CheckResult:
    details = {"failure": case.detail} if case.detail else {}
    return CheckResult(
        id=case.name,
        status=_STATUS[case.state],
        severity=Severity.ERROR,
        message=case.message,
        details=details,
        duration_s=case.duration_s,
        conformance=conformance.codenames_for(case.name),
    )


def suite_node_results(junit: JUnitRun) -> list[CheckResult]:
    """Suite-level nodes are no specs, but one that failed failed the run: an error entry."""
    return [
        CheckResult(
            id=f"[{node.kind}] {node.name}".strip(),
            status=Status.ERROR,
            severity=Severity.ERROR,
            message=node.message or "a suite-level node failed",
            details={"failure": node.detail} if node.detail else {},
            duration_s=node.duration_s,
        )
        for node in junit.suite_nodes
        if node.state is State.FAILED
    ]


def missing_result(mode: str, version: str, missing: Sequence[str]) -> CheckResult:
    return CheckResult(
        id=f"e2e/{mode}",
        status=Status.WARN,
        severity=Severity.WARNING,
        message=f"{len(missing)} curated {mode} specs do not exist in e2e.test {version}",
        details={"missing": list(missing)},
    )


def completeness_result(reasons: Sequence[str]) -> CheckResult:
    return CheckResult(
        id=COMPLETENESS_ID,
        status=Status.FAIL,
        severity=Severity.ERROR,
        message="; ".join(reasons),
        remediation="see e2e.log for where the run stopped, then run it again",
        details={"reasons": list(reasons)},
    )


def judge_run(
    junit_path: Path, log_path: Path, ended: Exit, conformance: ConformanceList
) -> list[CheckResult]:
    """Every result of one run, in the suite's (alphabetical) order, completeness last."""
    junit: JUnitRun | None = None
    problem = None
    try:
        junit = parse_junit(junit_path)
    except JUnitUnreadable as exc:
        problem = str(exc)
    log_text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    results: list[CheckResult] = []
    if junit is not None:
        results += suite_node_results(junit)
        selected = junit.with_state(State.PASSED, State.FAILED, State.SKIPPED)
        results += [spec_result(case, conformance) for case in selected]
    reasons = incompleteness(read_markers(log_text), junit, problem, ended)
    if reasons:
        results.append(completeness_result(reasons))
    return results


def tier_report(started: datetime, duration_s: float, results: Sequence[CheckResult]) -> TierReport:
    return TierReport("e2e", started, duration_s, tuple(results))
