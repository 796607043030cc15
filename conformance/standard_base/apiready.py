"""Whether the API server can serve the suite at all, asked once before any test: its ``/readyz``.

An API server answers ``/version`` and access reviews (what ``access.connect`` asks) without
touching its storage, so a cluster whose etcd is down, or has lost its quorum, passes that check;
then every request that reads or writes an object fails, each only after etcd's own timeouts, and
a whole run would end in a wall of timeouts that never says why. The API server itself says why
in one answer: ``/readyz?verbose`` lists its checks, a failed one as ``[-]etcd failed: reason
withheld``. A cluster that is still coming up is given :data:`SETTLE_S` to become ready; one
still not ready then is broken, and the run stops there with one failure that repeats what the
API server said (and, when its ``etcd`` checks fail, what that means). A server that will not
say (401, 403) or has no ``/readyz`` (404) is not judged: the tests find out for themselves.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from conformance.standard_base.kube import Kube
from kubeadm_verify import access
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

TIER = "cluster"
RESULT_ID = f"{TIER}/api-ready"
SETTLE_S = 30.0
"""As long as the Standard Base's needs wait for a cluster to settle (``needs.SETTLE_S``)."""
POLL_S = 1.0
STORAGE_CHECKS = ("etcd", "etcd-readiness")
"""The API server's checks of its storage (and ``etcd-override-*`` for a split one)."""
NOT_JUDGED = (401, 403, 404)


@dataclass(frozen=True)
class Readiness:
    """What ``GET /readyz?verbose`` answered: its status and the checks it says failed."""

    status: int
    failed: tuple[str, ...] = ()
    error: str = ""
    """Why there was no answer at all (the request failed); then ``status`` is 0."""

    @property
    def ready(self) -> bool:
        return self.status == 200 or self.status in NOT_JUDGED


def failed_checks(text: str) -> tuple[str, ...]:
    """The names of the failed checks in a verbose health answer (``[-]etcd failed: ...``)."""
    names = []
    for line in text.splitlines():
        if line.startswith("[-]"):
            names.append(line[3:].split(" ", 1)[0])
    return tuple(names)


def storage_lost(failed: tuple[str, ...]) -> bool:
    return any(name in STORAGE_CHECKS or name.startswith("etcd-override") for name in failed)


def judge(readiness: Readiness, host: str) -> str | None:
    """None when the API server is ready (or will not say), else why not, in one line."""
    if readiness.ready:
        return None
    if readiness.status == 0:
        return f"the API server at {host} did not answer GET /readyz: {readiness.error}"
    if not readiness.failed:
        return f"the API server at {host} is not ready: GET /readyz answered {readiness.status}"
    failed = ", ".join(readiness.failed)
    said = f"the API server at {host} is not ready: its /readyz says {failed} failed"
    if storage_lost(readiness.failed):
        said += (
            "; it cannot read or write its storage: etcd does not answer it, because etcd has "
            "lost its quorum (no majority of its members is up) or the members it uses are down"
        )
    return said


def ask(kube: Kube) -> Readiness:
    try:
        answer = kube.raw("GET", "/readyz", query=[("verbose", "1")])
    except Exception as exc:  # any way the exchange fails: said, and judged not ready
        return Readiness(0, error=access.describe_failure(exc))
    text = answer.body.decode("utf-8", errors="replace")
    return Readiness(answer.status, failed_checks(text))


def wait_ready(kube: Kube, settle_s: float = SETTLE_S, poll_s: float = POLL_S) -> str | None:
    """None once the API server is ready, or why it still is not after ``settle_s``."""
    host = str(kube.api_client.configuration.host)
    last = Readiness(0, error="not asked")

    def ready() -> bool:
        nonlocal last
        last = ask(kube)
        return last.ready

    with contextlib.suppress(access.WaitTimedOut):
        access.wait_for(ready, settle_s, interval=poll_s, what="the API server to be ready")
    return judge(last, host)


def unready_report(reason: str, started: datetime, duration_s: float) -> TierReport:
    """The run's report when the API server is not ready: one failure, no test run."""
    result = CheckResult(
        id=RESULT_ID,
        status=Status.FAIL,
        severity=Severity.ERROR,
        message=f"{reason}; no test was run",
        remediation=(
            "bring the control plane back (on each control-plane node: its etcd member and "
            "kube-apiserver), then run again"
        ),
    )
    return TierReport(TIER, started, duration_s, (result,))


def now() -> datetime:
    return datetime.now(UTC)


__all__ = ["RESULT_ID", "Readiness", "failed_checks", "judge", "unready_report", "wait_ready"]
