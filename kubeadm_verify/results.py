"""The one results model every tier ends in: a record per check, a report per tier."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any


class Status(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


class Severity(enum.StrEnum):
    """How bad a problem is: an ``error`` fails the run, a ``warning`` is only reported."""

    ERROR = "error"
    WARNING = "warning"


@record
class CheckResult:
    """What one check (or one test, or one upstream spec) found."""

    id: str
    status: Status
    severity: Severity
    message: str = ""
    remediation: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    conformance: tuple[str, ...] = ()
    origin: str = ""
    """``kubeadm`` for a check kubeadm itself runs, ``beyond`` for one of ours; empty where the
    distinction does not apply (tests of the cluster tiers)."""

    def as_dict(self, *, with_conformance: bool = False) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "severity": self.severity.value,
            **({"origin": self.origin} if self.origin else {}),
            "message": self.message,
            "remediation": self.remediation,
            "details": dict(self.details),
            "duration_s": round(self.duration_s, 4),
        }
        if with_conformance:
            entry["conformance"] = list(self.conformance)
        return entry


@record
class TierReport:
    """Every result of one tier's run, in the order the checks ran."""

    tier: str
    started: datetime
    duration_s: float
    results: tuple[CheckResult, ...]

    def summary(self) -> dict[str, int]:
        counts = Counter(result.status for result in self.results)
        return {status.value: counts.get(status, 0) for status in Status}

    def by_status(self, status: Status) -> list[CheckResult]:
        return [result for result in self.results if result.status is status]

    @property
    def failed(self) -> bool:
        """A failure or an error anywhere fails the run; warnings never do."""
        return any(r.status in (Status.FAIL, Status.ERROR) for r in self.results)

    def exit_code(self) -> ExitStatus:
        return ExitStatus.FAILED if self.failed else ExitStatus.OK
