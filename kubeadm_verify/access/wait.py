"""The one wait: ask ``probe`` until it gives an answer, within ``timeout``, stopping at once if
``abort_if`` names a reason the answer can never come (a process we started has exited).

Every wait in the project polls through here, so each is bounded the same way: the timeout is
measured on the monotonic clock from the first probe, the probe is always asked once more after
the last sleep (a wait never gives up without looking), and the sleep never runs past the
deadline. What a timeout means is the caller's to say: :class:`WaitTimedOut` carries the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitFailed(Exception):
    """The wait ended without an answer."""


class WaitTimedOut(WaitFailed):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"no {what} within {seconds:g}s")
        self.what = what
        self.seconds = seconds


class WaitAborted(WaitFailed):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def wait_for(
    probe: Callable[[], T | None],
    timeout: float,
    *,
    abort_if: Callable[[], str | None] | None = None,
    interval: float = 0.1,
    what: str = "answer",
) -> T:
    """The first answer of ``probe`` that is neither None nor False.

    Raises :class:`WaitAborted` with ``abort_if``'s reason as soon as it gives one (asked after
    each unanswered probe), :class:`WaitTimedOut` once ``timeout`` seconds have passed.
    """
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer is not None and answer is not False:
            return answer
        if abort_if is not None:
            reason = abort_if()
            if reason is not None:
                raise WaitAborted(reason)
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimedOut(what, timeout)
        time.sleep(min(interval, left))


__all__ = ["WaitAborted", "WaitFailed", "WaitTimedOut", "wait_for"]
