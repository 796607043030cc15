"""``interrupts.deferred``: a signal inside the block is acted on once the block ends, as the
handler before it would have, and a block without one runs as if nothing were there."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from kubeadm_verify.interrupts import deferred, interruptible


def _signal_inside(signum: signal.Signals, steps: list[str], sender: str = "main") -> None:
    with deferred():
        if sender == "main":
            os.kill(os.getpid(), signum)
        else:
            thread = threading.Thread(target=os.kill, args=(os.getpid(), signum))
            thread.start()
            thread.join()
        steps.append("after the signal")
    steps.append("after the block")


@pytest.mark.parametrize("sender", ["main", "thread"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_waits_for_the_block_then_raises(signum: signal.Signals, sender: str) -> None:
    steps: list[str] = []
    with interruptible(), pytest.raises(KeyboardInterrupt):
        _signal_inside(signum, steps, sender)
    assert steps == ["after the signal"]


def test_the_previous_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with deferred():
        pass
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with deferred():
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
