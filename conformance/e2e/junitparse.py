"""Read the suite's ``junit_01.xml``: which specs ran, and how each ended.

The file is written by e2e.test (not ginkgo) in a ``ReportAfterSuite`` node; its shape, from the
framework and ginkgo's JUnit reporter:

- the root is ``<testsuites>`` around one ``<testsuite>``; other writers emit a bare
  ``<testsuite>``, and both are accepted;
- every spec of the binary is listed, about 7,500, whether selected or not; a case is named
  ``[<node type>] <spec text>``, so specs are ``[It] ...``;
- suite-level nodes appear as pseudo-cases (``[SynchronizedBeforeSuite]``, ``[ReportBeforeSuite]``,
  ``[ReportAfterSuite] Kubernetes e2e JUnit report``...); they are not specs and are kept apart,
  but one that failed is still a failure of the run (a ``BeforeSuite`` that fails skips all);
- ``<failure>`` (failed, aborted, timed out) and ``<error>`` (panicked, interrupted) both mean
  the spec failed;
- ``<skipped message="skipped">`` or ``"pending"`` is a spec the focus did not select: it did not
  run and is not reported at all. ``<skipped message="skipped - <reason>">`` is a selected spec
  that skipped itself at run time (``e2eskipper``: wrong provider, missing feature): it is
  reported as ``skip`` with the reason, so the report shows what was asked for and not done.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import Attr, Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

SUITE_NODE_TYPES = frozenset(
    {
        "BeforeSuite",
        "AfterSuite",
        "SynchronizedBeforeSuite",
        "SynchronizedAfterSuite",
        "ReportBeforeSuite",
        "ReportAfterSuite",
        "DeferCleanup",
    }
)
FAILED_STATES = frozenset({"failed", "panicked", "interrupted", "aborted", "timedout"})
NOT_SELECTED = frozenset({"skipped", "pending", ""})
_CASE_NAME = re.compile(r"^\[(?P<kind>[A-Za-z]+)\](?: (?P<text>.*))?$", re.DOTALL)
MAX_TEXT = 8000


class State(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_SELECTED = "not-selected"


@dataclass(frozen=True)
class Case:
    """One test case: a spec (``kind == "It"``) or a suite-level pseudo-case."""

    kind: str
    name: str
    state: State
    message: str = ""
    detail: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class JUnitRun:
    specs: tuple[Case, ...]
    suite_nodes: tuple[Case, ...]

    def with_state(self, *states: State) -> list[Case]:
        return [case for case in self.specs if case.state in states]

    @property
    def ran(self) -> int:
        """Specs that ran to a verdict: what ginkgo counts in ``Ran N of M Specs``."""
        return len(self.with_state(State.PASSED, State.FAILED))


class GinkgoCase(TestCase):  # type: ignore[misc, unused-ignore]
    """A test case with ginkgo's ``status`` attribute (its own state word) readable."""

    status = Attr()


class JUnitUnreadable(Exception):
    """The file is missing, truncated or not JUnit; a run without it is not complete."""


def parse_junit(path: Path) -> JUnitRun:
    try:
        xml = JUnitXml.fromfile(str(path))
    except FileNotFoundError:
        raise JUnitUnreadable(f"{path.name} was not written") from None
    except (ParseError, OSError) as exc:
        raise JUnitUnreadable(f"{path.name} is unreadable: {exc}") from exc
    return from_xml(xml)


def parse_junit_text(text: str) -> JUnitRun:
    try:
        return from_xml(JUnitXml.fromstring(text))
    except ParseError as exc:
        raise JUnitUnreadable(f"not XML: {exc}") from exc


def from_xml(xml: JUnitXml | TestSuite) -> JUnitRun:
    """Fold every test case of either root form into specs and suite nodes."""
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    children = (suite.iterchildren(GinkgoCase) for suite in suites)  # type: ignore[no-untyped-call, unused-ignore]
    cases = [_case(case) for cases_of_suite in children for case in cases_of_suite]
    return JUnitRun(
        specs=tuple(c for c in cases if c.kind not in SUITE_NODE_TYPES),
        suite_nodes=tuple(c for c in cases if c.kind in SUITE_NODE_TYPES),
    )


def _case(case: GinkgoCase) -> Case:
    match = _CASE_NAME.match(case.name or "")
    kind, name = ("It", case.name or "") if match is None else (match["kind"], match["text"] or "")
    state, message, detail = _state(case)
    return Case(kind, name, state, message, detail, float(case.time or 0.0))


def _state(case: GinkgoCase) -> tuple[State, str, str]:
    """The case's state, a one-line message, and the longer evidence (bounded)."""
    status = str(case.status or "").lower()
    for result in case.result:
        if isinstance(result, Failure | Error):
            body = (result.text or "").strip()
            message = result.message or _first_line(body) or result.type or "failed"
            return State.FAILED, message, body[:MAX_TEXT]
    if status in FAILED_STATES:
        return State.FAILED, f"ginkgo reports the spec {status}", ""
    for result in case.result:
        if isinstance(result, Skipped):
            reason = (result.message or "").strip()
            if reason.lower() in NOT_SELECTED:
                return State.NOT_SELECTED, "", ""
            return State.SKIPPED, reason.removeprefix("skipped - "), ""
    if status in NOT_SELECTED - {""}:
        return State.NOT_SELECTED, "", ""
    return State.PASSED, "", ""


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
