"""``--focus`` and ``--skip``: regular expressions over test ids, applied at collection.

Like ginkgo's flags: a test runs when its id matches the focus (if any) and does not match the
skip (if any); ``re.search`` semantics, so ``kubeadm/`` selects an area and ``^apps/job$`` one test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubeadm_verify.errors import UsageError


def compile_pattern(flag: str, pattern: str | None) -> re.Pattern[str] | None:
    """The compiled regex, or a usage error that names the flag and the problem."""
    if pattern is None or pattern == "":
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{flag} {pattern!r} is not a valid regular expression: {exc}") from exc


@dataclass(frozen=True)
class Selection:
    focus: re.Pattern[str] | None = None
    skip: re.Pattern[str] | None = None

    @classmethod
    def from_flags(cls, focus: str | None, skip: str | None) -> Selection:
        return cls(compile_pattern("--focus", focus), compile_pattern("--skip", skip))

    def selects(self, test_id: str) -> bool:
        if self.focus is not None and self.focus.search(test_id) is None:
            return False
        return self.skip is None or self.skip.search(test_id) is None
