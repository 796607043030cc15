"""Run one tier's pytest suite in-process and gather its outcomes into a ``TierReport``.

Each test becomes one ``CheckResult``. A test may state its own result (a node check records the
exact result it computed); otherwise the pytest outcome decides: passed → pass, failed → fail,
skipped → skip, a failure outside the test body (setup, teardown, collection) → error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kubeadm_verify.errors import VerifyError
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

RESULT_PROPERTY = "kubeadm_verify.result"
ID_PROPERTY = "kubeadm_verify.id"
CONFORMANCE_PROPERTY = "kubeadm_verify.conformance"
WARNING_PROPERTY = "kubeadm_verify.warning"


def run_tier(
    tier: str,
    package: str,
    args: Sequence[str],
    *,
    plugins: Sequence[str] = ("kubeadm_verify.plugin",),
    show_output: bool = False,
) -> TierReport:
    """Run ``package``'s tests with ``args`` appended; raise ``VerifyError`` if pytest cannot.

    Only the named ``plugins`` load: every other pytest plugin installed on the machine is kept
    out, which keeps a tier's start fast and its behaviour independent of what else is installed.
    """
    collector = ResultCollector()
    started, clock = datetime.now(UTC), time.perf_counter()
    ini = resources.files("kubeadm_verify").joinpath("tier.ini")
    package_dir = Path(str(resources.files(package)))
    argv = [
        "-c",
        str(ini),
        "--rootdir",
        str(package_dir),
        "--confcutdir",
        str(package_dir),
        *(arg for name in plugins for arg in ("-p", name)),
        "--pyargs",
        package,
        *args,
    ]
    captured = io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
        if not show_output:  # the tier renders its own report; pytest's would be noise
            stack.enter_context(contextlib.redirect_stdout(captured))
            stack.enter_context(contextlib.redirect_stderr(captured))
        code = pytest.ExitCode(pytest.main(argv, plugins=[collector]))
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        reason = _error_line(captured.getvalue()) or code.name
        raise VerifyError(f"the {tier} suite could not start: {reason}")
    if code is pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    return TierReport(tier, started, time.perf_counter() - clock, tuple(collector.results()))


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for an in-process run (and the workers it starts); restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


class ResultCollector:
    """A pytest plugin object: folds each test's reports (setup, call, teardown) into one result."""

    def __init__(self) -> None:
        self._partial: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self._partial.setdefault(report.nodeid, {"duration": 0.0, "props": {}})
        entry["duration"] += report.duration
        for name, value in report.user_properties:
            entry["props"][name] = value
        outcome = _outcome(report)
        if outcome is not None and _worse(outcome[0], entry.get("status")):
            entry["status"], entry["message"] = outcome

    def results(self) -> list[CheckResult]:
        return [_to_result(nodeid, entry) for nodeid, entry in self._partial.items()]


def _outcome(report: pytest.TestReport) -> tuple[Status, str] | None:
    if report.when == "call":
        if report.passed:
            return Status.PASS, ""
        if report.skipped:
            return Status.SKIP, _skip_reason(report)
        return Status.FAIL, _failure_text(report)
    if report.skipped:
        return Status.SKIP, _skip_reason(report)
    if report.failed:
        return Status.ERROR, f"{report.when} failed: {_failure_text(report)}"
    return None


ORDER = [Status.PASS, Status.SKIP, Status.WARN, Status.FAIL, Status.ERROR]


def _worse(new: Status, old: Status | None) -> bool:
    return old is None or ORDER.index(new) > ORDER.index(old)


def _to_result(nodeid: str, entry: dict[str, Any]) -> CheckResult:
    props = entry["props"]
    if RESULT_PROPERTY in props:
        recorded = json.loads(props[RESULT_PROPERTY])
        recorded["status"], recorded["severity"] = (
            Status(recorded["status"]),
            Severity(recorded["severity"]),
        )
        if entry.get("status") is Status.ERROR:  # the check passed but its teardown broke
            recorded["status"], recorded["message"] = Status.ERROR, entry["message"]
        recorded["duration_s"] = entry["duration"]
        return CheckResult(**recorded)
    status: Status = entry.get("status", Status.ERROR)
    message: str = entry.get("message", "the test produced no outcome")
    if status is Status.PASS and WARNING_PROPERTY in props:
        status, message = Status.WARN, props[WARNING_PROPERTY]
    return CheckResult(
        id=props.get(ID_PROPERTY, nodeid),
        status=status,
        severity=Severity.WARNING if status is Status.WARN else Severity.ERROR,
        message=message,
        duration_s=entry["duration"],
        conformance=tuple(json.loads(props.get(CONFORMANCE_PROPERTY, "[]"))),
    )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return _last_line(str(report.longrepr or ""))


def _error_line(text: str) -> str:
    """Where pytest says what went wrong (``pytest: error: ...``, ``ERROR: ...``), else the end."""
    for line in text.splitlines():
        if ": error:" in line:
            return line.split(": error:", 1)[1].strip()
        if line.startswith("ERROR: ") and not line.startswith("ERROR: usage:"):
            return line.removeprefix("ERROR: ").strip()
    return _last_line(text)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
