"""The one wait: its answer, its abort and its timeout, each measured."""

from __future__ import annotations

import time

import pytest

from kubeadm_verify.access.wait import WaitAborted, WaitTimedOut, wait_for


def test_the_first_answer_is_returned() -> None:
    answers = iter([None, False, 0, "ready"])
    assert wait_for(lambda: next(answers), 5, interval=0.01) == 0  # 0 is an answer


def test_abort_if_ends_the_wait_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(WaitAborted, match="etcd exited"):
        wait_for(lambda: None, 30, abort_if=lambda: "etcd exited", interval=0.01)
    assert time.monotonic() - started < 1


def test_a_timeout_is_kept_and_the_probe_asked_once_more_at_its_end() -> None:
    asked: list[float] = []

    def probe() -> None:
        asked.append(time.monotonic())

    started = time.monotonic()
    with pytest.raises(WaitTimedOut, match=r"no node within 0.3s") as caught:
        wait_for(probe, 0.3, interval=0.2, what="node")
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.6
    assert caught.value.seconds == 0.3
    assert asked[-1] - started >= 0.29  # the last look is at the deadline, not a sleep before it
