"""Reading an ended container's log: an empty log is asked again, within the bound a loaded
machine needs (one bound for all the logs a test reads), before it counts as empty. Against a
fake of our ``Kube`` (its typed core API) on a fake clock, so the seconds a loaded machine takes
pass at once."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace
from typing import Any, cast

from conformance.standard_base.kube import Kube
from conformance.standard_base.workloads import (
    END_OF_OUTPUT,
    FINISHED_LOG_SETTLE_S,
    ending,
    finished_logs,
    finished_logs_of,
)
from tests.unit.standard_base.conftest import Clock


def _late_log(clock: Clock, output: str, written_after_s: float) -> Kube:
    """A cluster whose container's log stays empty until ``written_after_s`` after the first
    read, then holds ``output``."""
    first: list[float] = []

    def read_namespaced_pod_log(name: str, namespace: str, **kwargs: Any) -> str:
        first.append(clock.now)
        return output if clock.now - first[0] >= written_after_s else ""

    return cast(
        Kube, SimpleNamespace(core=SimpleNamespace(read_namespaced_pod_log=read_namespaced_pod_log))
    )


def test_a_log_written_10_s_after_the_container_ran_is_read(clock: Clock) -> None:
    """Under a load of 20-36 on two cores an ended container's output was still not in its
    log 10 s after it had run: it is read, not taken for an empty log."""
    kube = _late_log(clock, "override arguments\n", 12.0)
    assert finished_logs(kube, "ns", "entrypoint", "command-and-args") == "override arguments\n"


def test_a_log_that_stays_empty_counts_as_empty_after_the_bound(clock: Clock) -> None:
    began = clock.now
    kube = _late_log(clock, "never\n", 1e9)
    assert finished_logs(kube, "ns", "entrypoint", "echo") == ""
    assert FINISHED_LOG_SETTLE_S <= clock.now - began < FINISHED_LOG_SETTLE_S + 1


def test_the_logs_a_test_reads_share_one_bound(clock: Clock) -> None:
    """Three logs that stay empty cost one ``FINISHED_LOG_SETTLE_S``, not three, so a broken
    node fails the test with its own message before the test's timeout; a log once read is
    not asked again."""
    written = {
        "late": (12.0, "late\n"),
        "never": (1e9, "x"),
        "at-once": (0.0, "now\n"),
        "never-again": (1e9, "y"),
    }
    asked: list[str] = []
    began = clock.now

    def read_namespaced_pod_log(name: str, namespace: str, **kwargs: Any) -> str:
        asked.append(kwargs["container"])
        after, output = written[kwargs["container"]]
        return output if clock.now - began >= after else ""

    kube = cast(
        Kube, SimpleNamespace(core=SimpleNamespace(read_namespaced_pod_log=read_namespaced_pod_log))
    )
    found = finished_logs_of(kube, "ns", {c: ("pod", c) for c in written})
    assert found == {"late": "late\n", "never": "", "at-once": "now\n", "never-again": ""}
    assert FINISHED_LOG_SETTLE_S <= clock.now - began < FINISHED_LOG_SETTLE_S + 1
    assert asked.count("at-once") == 1


def test_a_log_read_with_its_first_lines_only_is_asked_again_until_its_end_line(
    clock: Clock,
) -> None:
    """Under load a multi-line log was read with only its first lines in it after the
    container had ended (``node/etc-hosts-managed`` judged half a file): an ``ending`` script's
    log is whole once its last line is ``END_OF_OUTPUT``, which is taken off."""
    whole = f"127.0.0.1 localhost\n---\n127.0.0.1 localhost\n{END_OF_OUTPUT}\n"
    began = clock.now

    def read_namespaced_pod_log(name: str, namespace: str, **kwargs: Any) -> str:
        return whole if clock.now - began >= 6.0 else whole.split("---")[0]

    kube = cast(
        Kube, SimpleNamespace(core=SimpleNamespace(read_namespaced_pod_log=read_namespaced_pod_log))
    )
    got = finished_logs_of(kube, "ns", {"c": ("pod", "c")}, ended=True)
    assert got == {"c": "127.0.0.1 localhost\n---\n127.0.0.1 localhost\n"}
    assert finished_logs_of(kube, "ns", {"c": ("pod", "c")}) == {"c": whole}  # as it is now


def test_an_ending_script_prints_the_end_line_last_and_keeps_its_status() -> None:
    for script, status in (("echo one; echo two", 0), ("echo one; false", 1)):
        done = subprocess.run(
            ["sh", "-c", ending(script)], capture_output=True, text=True, check=False
        )
        assert done.stdout.splitlines()[-1] == END_OF_OUTPUT
        assert done.returncode == status
