"""A run that merely stopped is never a pass: the counts ginkgo printed must add up.

A killed ginkgo, an apiserver restart that ends the log stream early (hydrophone #224), a
``BeforeSuite`` that fails and skips everything: each can leave a log or a JUnit file that looks
like success if only the failures are counted. So besides the per-spec verdicts, a run must show:

- ``Ran N of M Specs`` in ``e2e.log`` (printed only when the suite reached its end);
- a readable ``junit_01.xml`` whose specs that ran to a verdict number exactly N;
- every spec ginkgo announced (``Will run W of M specs``) accounted for: ran, or skipped itself;
- at least one spec run (a run that tests nothing passes nothing);
- ginkgo's exit status 0 unless a failed spec explains it; never a signal.

Every rule that does not hold is one reason; any reason makes the run a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.e2e.junitparse import JUnitRun, State

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WILL_RUN = re.compile(r"Will run (\d+) of (\d+) specs")
_RAN = re.compile(r"Ran (\d+) of (\d+) Specs in ")


@dataclass(frozen=True)
class Markers:
    """The counts ginkgo printed: ``Will run W of M`` and ``Ran N of M`` (the last of each)."""

    will_run: tuple[int, int] | None
    ran: tuple[int, int] | None


def read_markers(log_text: str) -> Markers:
    text = _ANSI.sub("", log_text)
    return Markers(_last(_WILL_RUN, text), _last(_RAN, text))


def _last(pattern: re.Pattern[str], text: str) -> tuple[int, int] | None:
    found = pattern.findall(text)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


@dataclass(frozen=True)
class Exit:
    """How ginkgo ended: its status (negative for a signal; None if unknown), why we stopped it."""

    code: int | None
    stopped_because: str | None = None


def incompleteness(
    markers: Markers, junit: JUnitRun | None, junit_problem: str | None, ended: Exit
) -> list[str]:
    """Every reason the run cannot count as complete; empty when it does."""
    reasons = []
    if ended.stopped_because:
        reasons.append(ended.stopped_because)
    if markers.ran is None:
        reasons.append("e2e.log has no 'Ran N of M Specs': the suite never reached its end")
    if junit is None:
        reasons.append(junit_problem or "junit_01.xml could not be read")
    else:
        reasons += _count_reasons(markers, junit)
    reasons += _exit_reasons(ended, junit)
    return reasons


def _count_reasons(markers: Markers, junit: JUnitRun) -> list[str]:
    reasons = []
    self_skipped = len(junit.with_state(State.SKIPPED))
    if markers.ran is not None and markers.ran[0] != junit.ran:
        reasons.append(
            f"ginkgo reported {markers.ran[0]} specs run, junit_01.xml records {junit.ran}"
        )
    if markers.will_run is not None and markers.will_run[0] != junit.ran + self_skipped:
        reasons.append(
            f"ginkgo announced {markers.will_run[0]} specs but {junit.ran} ran and "
            f"{self_skipped} skipped themselves: the run stopped early"
        )
    if junit.ran == 0:
        reasons.append("no spec ran: a run that tests nothing is not a pass")
    return reasons


def _exit_reasons(ended: Exit, junit: JUnitRun | None) -> list[str]:
    if ended.code is None:
        return []
    if ended.code < 0:
        return [f"ginkgo was killed by signal {-ended.code}"]
    explained = junit is not None and (
        junit.with_state(State.FAILED) or any(n.state is State.FAILED for n in junit.suite_nodes)
    )
    if ended.code != 0 and not explained:
        return [f"ginkgo exited with status {ended.code} although no spec failed"]
    return []
