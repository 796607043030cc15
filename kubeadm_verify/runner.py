"""Run one tier's pytest suite in-process and gather its outcomes into a ``TierReport``.

The tier's settings object goes in as an object: a plugin instance puts it in the session's
``config.stash`` under :data:`SETTINGS` (and, for xdist workers, which are other processes, in
their ``workerinput``), where the tier's fixtures read it with :func:`settings_of`. No option
string is rebuilt from it. ``collect`` runs the same session with ``--collect-only``.

Each test becomes one ``CheckResult``. A test may state its own result (a node check records the
exact result it computed); otherwise the pytest outcome decides: passed → pass, failed → fail,
skipped → skip, a failure outside the test body (setup, teardown, collection) → error.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import pickle
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kubeadm_verify.errors import VerifyError
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

RESULT_PROPERTY = "kubeadm_verify.result"
ID_PROPERTY = "kubeadm_verify.id"
CONFORMANCE_PROPERTY = "kubeadm_verify.conformance"
WARNING_PROPERTY = "kubeadm_verify.warning"


SETTINGS = pytest.StashKey[object]()
"""Where a tier's session finds its settings object."""
_WORKER_INPUT = "kubeadm_verify_settings"
T = TypeVar("T")


def run_tier(
    tier: str,
    package: str,
    settings: object | None = None,
    *,
    args: Sequence[str] = (),
    plugins: Sequence[str] = (),
    show_output: bool = False,
) -> TierReport:
    """Run ``package``'s tests with ``settings`` handed over and ``args`` appended (pytest's own
    options: ``-q``, ``-n``); raise ``VerifyError`` if pytest cannot.

    Only the named ``plugins`` load: every other pytest plugin installed on the machine is kept
    out, and so are the caller's ``PYTEST_ADDOPTS`` and ``PYTEST_PLUGINS``, which keeps a tier's
    start fast and its behaviour independent of what else is installed or set.
    """
    collector = ResultCollector()
    started, clock = datetime.now(UTC), time.perf_counter()
    _session(tier, package, settings, [*args], plugins, [collector], show_output)
    return TierReport(tier, started, time.perf_counter() - clock, tuple(collector.results()))


def collect(
    tier: str,
    package: str,
    settings: object | None = None,
    *,
    plugins: Sequence[str] = (),
    args: Sequence[str] = (),
) -> list[pytest.Item]:
    """The items a run with these settings would run, in run order; nothing runs."""
    items: list[pytest.Item] = []
    keeper = _Items(items)
    _session(
        tier,
        package,
        settings,
        ["--collect-only", "-q", *args],
        plugins,
        [keeper],
        False,
        collecting=True,
    )
    return items


def _session(
    tier: str,
    package: str,
    settings: object | None,
    args: list[str],
    plugins: Sequence[str],
    objects: list[object],
    show_output: bool,
    collecting: bool = False,
) -> None:
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
        # The caller's own pytest settings are not the tier's: PYTEST_ADDOPTS="-x" would stop
        # the tier at its first failure, and PYTEST_PLUGINS load a plugin into it.
        stack.enter_context(
            _environment(
                PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTEST_ADDOPTS=None, PYTEST_PLUGINS=None
            )
        )
        if not show_output:  # the tier renders its own report; pytest's would be noise
            stack.enter_context(contextlib.redirect_stdout(captured))
            stack.enter_context(contextlib.redirect_stderr(captured))
        code = pytest.ExitCode(pytest.main(argv, plugins=[Handover(settings), *objects]))
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        reason = _error_line(captured.getvalue()) or code.name
        raise VerifyError(f"the {tier} suite could not start: {reason}")
    if collecting and code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise VerifyError(
            f"the {tier} suite could not be collected: "
            f"{_last_line(captured.getvalue()) or code.name}"
        )
    if code is pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt


class Handover:
    """A plugin instance carrying the settings object into the session and its xdist workers."""

    def __init__(self, settings: object | None) -> None:
        self.settings = settings

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if self.settings is not None:
            config.stash[SETTINGS] = self.settings

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist sends workers plain values only: the frozen settings travel pickled, from
        this process to the workers it started, and nowhere else."""
        if self.settings is not None:
            node.workerinput[_WORKER_INPUT] = base64.b64encode(pickle.dumps(self.settings)).decode()


def settings_of(config: pytest.Config, kind: type[T]) -> T | None:
    """The settings object of type ``kind`` this session was handed, or None (a plain
    ``pytest --pyargs`` session, whose tier then builds its settings from its options)."""
    found = config.stash.get(SETTINGS, None)
    if found is None:
        encoded = getattr(config, "workerinput", {}).get(_WORKER_INPUT)
        if encoded is not None:
            found = pickle.loads(base64.b64decode(encoded))  # noqa: S301 (from our controller)
            config.stash[SETTINGS] = found
    return found if isinstance(found, kind) else None


class _Items:
    """Keeps the collected items (after every tier's own selection) for :func:`collect`."""

    def __init__(self, items: list[pytest.Item]) -> None:
        self.items = items

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items[:] = items


@contextlib.contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """Set environment variables (``None``: unset them) for an in-process run (and the workers
    it starts); restore them."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
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
