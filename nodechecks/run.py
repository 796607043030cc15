"""The node tier's fast path: every registered check, called directly, into one report.

The checks are plain functions, so running them needs no test session: this module imports the
registry, the context and the results model, never pytest, the kubernetes client or rich, and
``kubeadm-verify node`` starts as fast as kubeadm's own preflight. ``pytest --pyargs nodechecks``
runs the same checks one test each (``nodechecks/test_node.py``) and gives the same results.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from kubeadm_verify.checks import execute
from kubeadm_verify.ignores import unknown_names
from kubeadm_verify.nodesettings import NodeSettings
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from nodechecks.catalog import for_run
from nodechecks.checks import REGISTRY
from nodechecks.context import NodeContext

TIER = "node"


def run(settings: NodeSettings) -> TierReport:
    """Run every check in the registry's (kubeadm's) order against ``settings``."""
    started, clock = datetime.now(UTC), time.perf_counter()
    context = NodeContext.from_settings(settings)
    results = [
        execute(for_run(check, context), context, role=settings.role, ignored=settings.ignored)
        for check in REGISTRY
    ]
    warning = unknown_ignore_warning(settings.ignored, (result.id for result in results))
    if warning is not None:
        results.append(warning)
    return TierReport(TIER, started, time.perf_counter() - clock, tuple(results))


def unknown_ignore_warning(ignored: Iterable[str], ids: Iterable[str]) -> CheckResult | None:
    """kubeadm accepts typos silently; we keep the run going but say which names matched nothing."""
    unknown = unknown_names(ignored, ids)
    if not unknown:
        return None
    return CheckResult(
        id="IgnorePreflightErrors",
        status=Status.WARN,
        severity=Severity.WARNING,
        message=f"unknown check names in --ignore-preflight-errors: {', '.join(unknown)}",
        remediation="check the spelling against `kubeadm-verify node --list`",
        details={"unknown": unknown},
    )


__all__ = ["TIER", "run", "unknown_ignore_warning"]
