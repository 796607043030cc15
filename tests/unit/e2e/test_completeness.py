"""A run that stopped is a failure: the Ran/Will-run counts, the JUnit, the exit status agree."""

from __future__ import annotations

from conformance.e2e.completeness import Exit, Markers, incompleteness, read_markers
from conformance.e2e.junitparse import JUnitRun, parse_junit_text

LOG = """Running Suite: Kubernetes e2e suite - /usr/local/bin
Will run \x1b[1m2\x1b[0m of \x1b[1m7579\x1b[0m specs
••
Ran 2 of 7579 Specs in 12.300 seconds
SUCCESS! -- 2 Passed | 0 Failed | 0 Pending | 7577 Skipped
"""


def junit(*cases: tuple[str, str]) -> JUnitRun:
    body = "".join(
        f'<testcase name="[It] {name}" status="{state}">'
        + ("<failure>boom</failure>" if state == "failed" else "")
        + ('<skipped message="skipped - no GPU"/>' if state == "self-skipped" else "")
        + ('<skipped message="skipped"/>' if state == "skipped" else "")
        + "</testcase>"
        for name, state in cases
    )
    return parse_junit_text(f"<testsuite>{body}</testsuite>")


def test_markers_are_read_through_colour_codes() -> None:
    assert read_markers(LOG) == Markers(will_run=(2, 7579), ran=(2, 7579))
    assert read_markers("nothing here") == Markers(None, None)


def test_complete_run_has_no_reasons() -> None:
    run = junit(("a", "passed"), ("b", "passed"), ("c", "skipped"))
    assert incompleteness(read_markers(LOG), run, None, Exit(0)) == []


def test_ran_count_mismatch_is_a_failure() -> None:
    run = junit(("a", "passed"), ("b", "skipped"))
    reasons = incompleteness(read_markers(LOG), run, None, Exit(0))
    assert "ginkgo reported 2 specs run, junit_01.xml records 1" in reasons
    assert any("stopped early" in r for r in reasons)


def test_self_skipped_specs_account_for_the_plan() -> None:
    run = junit(("a", "passed"), ("b", "self-skipped"))
    markers = Markers(will_run=(2, 10), ran=(1, 10))
    assert incompleteness(markers, run, None, Exit(0)) == []


def test_a_log_without_the_summary_never_passes() -> None:
    run = junit(("a", "passed"), ("b", "passed"))
    reasons = incompleteness(Markers(will_run=(2, 9), ran=None), run, None, Exit(0))
    assert reasons == ["e2e.log has no 'Ran N of M Specs': the suite never reached its end"]


def test_missing_junit_is_a_reason_of_its_own() -> None:
    reasons = incompleteness(read_markers(LOG), None, "junit_01.xml was not written", Exit(0))
    assert reasons == ["junit_01.xml was not written"]


def test_nothing_run_is_not_a_pass() -> None:
    run = junit(("a", "skipped"))
    reasons = incompleteness(Markers((0, 1), (0, 1)), run, None, Exit(0))
    assert reasons == ["no spec ran: a run that tests nothing is not a pass"]


def test_exit_status_must_be_explained_by_a_failed_spec() -> None:
    passed = junit(("a", "passed"), ("b", "passed"))
    assert incompleteness(read_markers(LOG), passed, None, Exit(1)) == [
        "ginkgo exited with status 1 although no spec failed"
    ]
    failed = junit(("a", "passed"), ("b", "failed"))
    assert incompleteness(read_markers(LOG), failed, None, Exit(1)) == []


def test_killed_and_stopped_runs_say_so() -> None:
    run = junit(("a", "passed"), ("b", "passed"))
    assert incompleteness(read_markers(LOG), run, None, Exit(-9)) == [
        "ginkgo was killed by signal 9"
    ]
    stopped = incompleteness(read_markers(LOG), run, None, Exit(None, "the run was interrupted"))
    assert stopped == ["the run was interrupted"]
