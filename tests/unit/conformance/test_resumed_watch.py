"""A watch resumed from a list's resourceVersion: a 410 to the end is a warning (the test could
not look), any other failure the verdict at once, a watch that sees the deletions a pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.standard_base import selectablefields
from conformance.standard_base.selectablefields import _resumed

TOO_OLD = "the watch: 410 Gone: too old resource version: 2707 (2798)"


class AlwaysAnswering:
    """Our ``_Selection`` boundary, answering each resumed watch as told."""

    def __init__(self, failure: str) -> None:
        self.failure = failure
        self.asked = 0

    @contextmanager
    def watch(self, version: str, selector: str, since: str = "") -> Iterator[Any]:
        self.asked += 1
        raise AssertionError(self.failure)
        yield None  # never reached: the watch is refused before it opens


@pytest.fixture(autouse=True)
def _short_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectablefields, "RESUME_S", 1.2)


def test_a_410_to_the_end_is_a_warning_that_says_it_could_not_look() -> None:
    on = AlwaysAnswering(TOO_OLD)
    warning = _resumed(on, "2707", ["a", "b"])  # type: ignore[arg-type]
    assert warning.startswith("cannot determine whether the watch"), warning
    assert "too old resource version" in warning
    assert on.asked >= 2, "a 410 is asked again, as a reflector would"


def test_any_other_failure_is_the_verdict_at_once() -> None:
    on = AlwaysAnswering("the watch: expected DELETED a, got the end of the watch")
    with pytest.raises(AssertionError, match="expected DELETED a"):
        _resumed(on, "2707", ["a", "b"])  # type: ignore[arg-type]
    assert on.asked == 1
