"""Counting finished specs as ginkgo writes them to the log, in chunks cut anywhere."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.e2e.progress import GinkgoLog, ProgressListener

LOG = (
    "Will run 4 of 3206 specs\n"
    "SSSS\u2022SSSS\n"
    "------------------------------\n"
    "\u2022 [FAILED] [22.759 seconds]\n"
    "[sig-network] Networking Granular Checks: Pods [It] should function\n"
    "SS\u2022 [12.001 seconds]\n[sig-apps] slow but passed\n"
    "\u2022 [TIMEDOUT] [300.0 seconds]\n"
    "SSS\n"
    "Ran 4 of 3206 Specs in 340.1 seconds\n"
).encode()


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(LOG)])
def test_marks_are_counted_whatever_the_chunks(size: int) -> None:
    log = GinkgoLog()
    for start in range(0, len(LOG), size):
        log.feed(LOG[start : start + size])
    log.feed(b"", final=True)
    assert (log.finished, log.not_passed) == (4, 2)


def test_a_mark_at_the_very_end_counts_once_the_log_is_final() -> None:
    log = GinkgoLog()
    log.feed("SS\u2022".encode())
    assert log.finished == 0
    log.feed(b"", final=True)
    assert (log.finished, log.not_passed) == (1, 0)


def test_listener_follows_a_growing_log(tmp_path: Path) -> None:
    path = tmp_path / "e2e.log"
    path.write_bytes(b"")
    with ProgressListener(None, path) as listener, path.open("ab") as handle:
        handle.write(LOG[:60])
        handle.flush()
        time.sleep(1.2)
        early = listener.completed
        handle.write(LOG[60:])
    assert early <= 1
    assert (listener.completed, listener.failed) == (4, 2)
