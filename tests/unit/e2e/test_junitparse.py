"""junit_01.xml: both root forms, pseudo-cases apart, error counted failed, skips told apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.e2e.junitparse import JUnitUnreadable, State, parse_junit, parse_junit_text

CASES = """
  <testcase name="[ReportBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="0"/>
  <testcase name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed"
            time="3.2"/>
  <testcase name="[It] [sig-node] Pods should be submitted and removed [Conformance]"
            classname="Kubernetes e2e suite" status="passed" time="4.5"/>
  <testcase name="[It] [sig-apps] Job fails [Conformance]" classname="Kubernetes e2e suite"
            status="failed" time="9"><failure type="failed">[FAILED] timed out waiting
In [It] at: job.go:100</failure></testcase>
  <testcase name="[It] [sig-auth] panics [Conformance]" classname="Kubernetes e2e suite"
            status="panicked" time="1"><error message="runtime error" type="panicked">stack
</error></testcase>
  <testcase name="[It] [sig-node] needs GCE" classname="Kubernetes e2e suite" status="skipped"
            time="0.1"><skipped message="skipped - Only supported for providers [gce]"/></testcase>
  <testcase name="[It] [sig-storage] not focused" classname="Kubernetes e2e suite"
            status="skipped" time="0"><skipped message="skipped"/></testcase>
  <testcase name="[It] [sig-storage] pending one" classname="Kubernetes e2e suite"
            status="pending" time="0"><skipped message="pending"/></testcase>
  <testcase name="[ReportAfterSuite] Kubernetes e2e JUnit report" classname="Kubernetes e2e suite"
            status="passed" time="0.02"/>
"""
WRAPPED = f"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="9" disabled="2" errors="1" failures="1" time="17">
 <testsuite name="Kubernetes e2e suite" package="/usr/local/bin" tests="9">
  <properties><property name="SuiteSucceeded" value="false"/></properties>{CASES}
 </testsuite>
</testsuites>"""
BARE = f'<testsuite name="Kubernetes e2e suite" tests="9">{CASES}</testsuite>'


@pytest.mark.parametrize("text", [WRAPPED, BARE], ids=["testsuites-root", "testsuite-root"])
def test_both_roots_give_the_same_specs(text: str) -> None:
    run = parse_junit_text(text)
    states = {case.name: case.state for case in run.specs}
    assert states == {
        "[sig-node] Pods should be submitted and removed [Conformance]": State.PASSED,
        "[sig-apps] Job fails [Conformance]": State.FAILED,
        "[sig-auth] panics [Conformance]": State.FAILED,
        "[sig-node] needs GCE": State.SKIPPED,
        "[sig-storage] not focused": State.NOT_SELECTED,
        "[sig-storage] pending one": State.NOT_SELECTED,
    }
    assert run.ran == 3


def test_pseudo_cases_are_kept_apart_from_specs() -> None:
    run = parse_junit_text(WRAPPED)
    assert [n.kind for n in run.suite_nodes] == [
        "ReportBeforeSuite",
        "SynchronizedBeforeSuite",
        "ReportAfterSuite",
    ]
    assert all(not case.name.startswith("[") or case.name.startswith("[sig-") for case in run.specs)
    assert not any("JUnit report" in case.name for case in run.specs)


def test_error_counts_as_failed_with_its_message() -> None:
    run = parse_junit_text(WRAPPED)
    panicked = next(c for c in run.specs if "panics" in c.name)
    assert panicked.state is State.FAILED
    assert panicked.message == "runtime error"
    assert "stack" in panicked.detail


def test_failure_without_message_attribute_uses_the_first_body_line() -> None:
    failed = next(c for c in parse_junit_text(WRAPPED).specs if "Job fails" in c.name)
    assert failed.message == "[FAILED] timed out waiting"
    assert "job.go:100" in failed.detail
    assert failed.duration_s == 9.0


def test_self_skipped_spec_keeps_its_reason() -> None:
    skipped = next(c for c in parse_junit_text(WRAPPED).specs if "GCE" in c.name)
    assert skipped.message == "Only supported for providers [gce]"


def test_status_attribute_alone_marks_a_failure() -> None:
    run = parse_junit_text(
        '<testsuite name="s"><testcase name="[It] x" status="timedout" time="1"/></testsuite>'
    )
    assert run.specs[0].state is State.FAILED
    assert "timedout" in run.specs[0].message


def test_failed_suite_node_is_recorded_as_failed() -> None:
    run = parse_junit_text(
        '<testsuite name="s"><testcase name="[SynchronizedBeforeSuite]" status="failed">'
        "<failure>no nodes are ready</failure></testcase></testsuite>"
    )
    assert run.specs == ()
    assert run.suite_nodes[0].state is State.FAILED
    assert run.suite_nodes[0].message == "no nodes are ready"


def test_missing_and_truncated_files_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(JUnitUnreadable, match="was not written"):
        parse_junit(tmp_path / "junit_01.xml")
    truncated = tmp_path / "junit_01.xml"
    truncated.write_text(WRAPPED[: len(WRAPPED) // 2])
    with pytest.raises(JUnitUnreadable, match="unreadable"):
        parse_junit(truncated)
