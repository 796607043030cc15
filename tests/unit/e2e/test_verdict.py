"""From junit_01.xml and e2e.log to results: one per selected spec, and never a false pass."""

from __future__ import annotations

from pathlib import Path

from conformance.e2e.codenames import load
from conformance.e2e.completeness import Exit
from conformance.e2e.verdict import COMPLETENESS_ID, judge_run, missing_result
from kubeadm_verify.results import Status

POD = "[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]"
JUNIT = f"""<testsuites><testsuite name="Kubernetes e2e suite">
<testcase name="[SynchronizedBeforeSuite]" status="passed" time="1"/>
<testcase name="[It] {POD}" status="passed" time="4"/>
<testcase name="[It] [sig-apps] broken thing" status="failed" time="2"><failure>[FAILED] no
at x.go:1</failure></testcase>
<testcase name="[It] [sig-node] gce only" status="skipped"><skipped message="skipped - gce only"/>
</testcase>
<testcase name="[It] [sig-storage] unfocused" status="skipped"><skipped message="skipped"/>
</testcase>
<testcase name="[ReportAfterSuite] Kubernetes e2e JUnit report" status="passed"/>
</testsuite></testsuites>"""
LOG = "Will run 3 of 4 specs\n•F\nRan 2 of 4 Specs in 7.0 seconds\nFAIL! -- 1 Passed | 1 Failed\n"


def files(tmp_path: Path, junit: str | None = JUNIT, log: str = LOG) -> tuple[Path, Path]:
    if junit is not None:
        (tmp_path / "junit_01.xml").write_text(junit)
    (tmp_path / "e2e.log").write_text(log)
    return tmp_path / "junit_01.xml", tmp_path / "e2e.log"


def test_one_result_per_selected_spec_with_codenames(tmp_path: Path) -> None:
    results = judge_run(*files(tmp_path), Exit(1), load("v1.37.2"))
    by_id = {r.id: r for r in results}
    assert list(by_id) == [POD, "[sig-apps] broken thing", "[sig-node] gce only"]
    assert by_id[POD].status is Status.PASS
    assert by_id[POD].conformance == (POD,)
    assert by_id[POD].duration_s == 4.0
    broken = by_id["[sig-apps] broken thing"]
    assert (broken.status, broken.message, broken.conformance) == (Status.FAIL, "[FAILED] no", ())
    assert "x.go:1" in broken.details["failure"]
    assert by_id["[sig-node] gce only"].status is Status.SKIP
    assert by_id["[sig-node] gce only"].message == "gce only"


def test_failed_suite_node_is_an_error_entry(tmp_path: Path) -> None:
    junit = JUNIT.replace(
        '<testcase name="[SynchronizedBeforeSuite]" status="passed" time="1"/>',
        '<testcase name="[SynchronizedBeforeSuite]" status="failed">'
        "<failure>nodes not ready</failure></testcase>",
    )
    results = judge_run(*files(tmp_path, junit), Exit(1), load("v1.37.2"))
    assert results[0].id == "[SynchronizedBeforeSuite]"
    assert (results[0].status, results[0].message) == (Status.ERROR, "nodes not ready")


def test_a_run_that_stopped_gets_a_failing_completeness_entry(tmp_path: Path) -> None:
    results = judge_run(
        *files(tmp_path, None, "Will run 3 of 4 specs\n•"), Exit(-9), load("v1.37.2")
    )
    assert [r.id for r in results] == [COMPLETENESS_ID]
    reasons = results[0].details["reasons"]
    assert results[0].status is Status.FAIL
    assert "junit_01.xml was not written" in reasons
    assert "ginkgo was killed by signal 9" in reasons
    assert any("never reached its end" in r for r in reasons)


def test_all_passed_but_counts_disagree_is_still_a_failure(tmp_path: Path) -> None:
    junit = JUNIT.replace(
        'status="failed" time="2"><failure>[FAILED] no\nat x.go:1</failure>',
        'status="passed" time="2">',
    )
    log = "Will run 3 of 4 specs\nRan 3 of 4 Specs in 7.0 seconds\nSUCCESS!\n"
    results = judge_run(*files(tmp_path, junit, log), Exit(0), load("v1.37.2"))
    assert [r.status for r in results if r.id != COMPLETENESS_ID] == [
        Status.PASS,
        Status.PASS,
        Status.SKIP,
    ]
    assert results[-1].id == COMPLETENESS_ID
    assert "ginkgo reported 3 specs run, junit_01.xml records 2" in results[-1].message


def test_missing_curated_specs_are_a_visible_warning() -> None:
    result = missing_result("standard-base", "v1.36.0", ["[sig-x] a", "[sig-y] b"])
    assert (result.status, result.id) == (Status.WARN, "e2e/standard-base")
    assert result.details["missing"] == ["[sig-x] a", "[sig-y] b"]
