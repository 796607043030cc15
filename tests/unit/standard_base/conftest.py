"""A fake clock for the Standard Base's waits: the seconds a loaded machine takes pass at once."""

from __future__ import annotations

import pytest

from kubeadm_verify.access import wait


class Clock:
    """``time`` as the one wait reads it: ``sleep`` moves ``monotonic`` on, at once."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(wait, "time", fake)
    return fake
