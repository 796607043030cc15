"""Checks as plain typed functions, declared into an explicit registry.

A check takes its tier's context and returns a ``Finding``. The decorator declares the id, the
nominal severity, the roles the check applies to and its tier; registration reads no
configuration, so listing the checks costs nothing and every run lists the same ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping

from kubeadm_verify.record import field, record
from kubeadm_verify.results import CheckResult, Severity, Status

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any, Generic, TypeVar
else:
    from kubeadm_verify.typeshim import Generic, TypeVar

ROLES = ("control-plane", "worker")
ORIGINS = ("kubeadm", "beyond")
"""Where a check comes from: kubeadm's own preflight (same id, same verdict) or ours."""
ALL_ROLES = frozenset(ROLES)
CONTROL_PLANE = frozenset({"control-plane"})
WORKER = frozenset({"worker"})


@record
class Finding:
    """What a check saw: its verdict, the message, a remediation and the evidence."""

    status: Status
    message: str = ""
    remediation: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


def passed(message: str = "", **details: Any) -> Finding:
    return Finding(Status.PASS, message, "", details)


def failed(message: str, remediation: str = "", **details: Any) -> Finding:
    return Finding(Status.FAIL, message, remediation, details)


def warned(message: str, remediation: str = "", **details: Any) -> Finding:
    return Finding(Status.WARN, message, remediation, details)


def skipped(reason: str, **details: Any) -> Finding:
    return Finding(Status.SKIP, reason, "", details)


def unknown(what: str, remediation: str = "", **details: Any) -> Finding:
    """A probe that could not see the answer warns; it never passes and never fails."""
    return Finding(Status.WARN, f"cannot determine {what}", remediation, details)


def problem(severity: Severity, message: str, remediation: str = "", **details: Any) -> Finding:
    """A problem whose verdict follows a severity chosen from the context at run time."""
    status = Status.FAIL if severity is Severity.ERROR else Status.WARN
    return Finding(status, message, remediation, details)


Context = TypeVar("Context")


@record
class Check(Generic[Context]):
    id: str
    func: Callable[[Context], Finding]
    severity: Severity
    roles: frozenset[str]
    tier: str
    summary: str
    origin: str = "kubeadm"

    def applies_to(self, role: str) -> bool:
        return role in self.roles


class Registry(Generic[Context]):
    """The ordered catalogue of one tier's checks; order is the order they run and print in."""

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self._checks: dict[str, Check[Context]] = {}

    def check(
        self,
        check_id: str,
        *,
        severity: Severity,
        roles: frozenset[str] = ALL_ROLES,
        summary: str = "",
        origin: str = "kubeadm",
    ) -> Callable[[Callable[[Context], Finding]], Callable[[Context], Finding]]:
        if origin not in ORIGINS:
            raise ValueError(f"check {check_id!r}: origin must be one of {ORIGINS}")

        def declare(func: Callable[[Context], Finding]) -> Callable[[Context], Finding]:
            doc = first_paragraph(func.__doc__ or "")
            self.add(Check(check_id, func, severity, roles, self.tier, summary or doc, origin))
            return func

        return declare

    def add(self, check: Check[Context]) -> None:
        if check.id.lower() in (known.lower() for known in self._checks):
            raise ValueError(f"check id {check.id!r} is declared twice")
        self._checks[check.id] = check

    def __iter__(self) -> Iterator[Check[Context]]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def ids(self) -> list[str]:
        return list(self._checks)

    def get(self, check_id: str) -> Check[Context]:
        return self._checks[check_id]


def first_paragraph(docstring: str) -> str:
    """A docstring's first paragraph on one line: the check's summary in listings."""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def execute(
    check: Check[Context], context: Context, *, role: str, ignored: Collection[str] = ()
) -> CheckResult:
    """Run one check and turn whatever happens, an exception included, into a result.

    ``ignored`` holds lower-cased ids (or ``all``) whose failures are downgraded to warnings, as
    kubeadm's ``--ignore-preflight-errors`` does: the check still runs and still reports.
    """
    started = time.perf_counter()
    if not check.applies_to(role):
        finding = skipped(f"does not apply to the {role} role")
    else:
        try:
            finding = check.func(context)
        except Exception as exc:  # a broken check must surface as an error, never as a pass
            return CheckResult(
                id=check.id,
                status=Status.ERROR,
                severity=check.severity,
                message=f"the check could not run: {type(exc).__name__}: {exc}",
                remediation="report this with the details; the other checks are unaffected",
                details={"exception": type(exc).__name__, "error": str(exc)},
                duration_s=time.perf_counter() - started,
                origin=check.origin,
            )
    return _result(check, finding, ignored, time.perf_counter() - started)


def _result(
    check: Check[Any], finding: Finding, ignored: Collection[str], duration: float
) -> CheckResult:
    status, details = finding.status, dict(finding.details)
    if status is Status.FAIL and ("all" in ignored or check.id.lower() in ignored):
        status, details["ignored"] = Status.WARN, True
    severity = {Status.FAIL: Severity.ERROR, Status.WARN: Severity.WARNING}.get(
        status, check.severity
    )
    return CheckResult(
        id=check.id,
        status=status,
        severity=severity,
        message=finding.message,
        remediation=finding.remediation,
        details=details,
        duration_s=duration,
        origin=check.origin,
    )
