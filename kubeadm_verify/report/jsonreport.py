"""``results.json``: the machine-readable report described in the CLI contract."""

from __future__ import annotations

import json
import os

from kubeadm_verify import redact
from kubeadm_verify.report.atomic import write_atomically
from kubeadm_verify.results import TierReport

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

TIERS_WITH_CODENAMES = frozenset({"cluster", "e2e"})


def report_dict(report: TierReport) -> dict[str, Any]:
    """The ``results.json`` object of ``report``, scrubbed."""
    return redacted_dict(redact.report(report))


def redacted_dict(report: TierReport) -> dict[str, Any]:
    """The ``results.json`` object of a report ``redact.report`` has already scrubbed."""
    with_codenames = report.tier in TIERS_WITH_CODENAMES
    return {
        "tier": report.tier,
        "started": report.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(report.duration_s, 3),
        "summary": report.summary(),
        "checks": [r.as_dict(with_conformance=with_codenames) for r in report.results],
    }


def render_json(report: TierReport) -> str:
    return json_text(redact.report(report))


def json_text(report: TierReport) -> str:
    """``results.json`` of a report ``redact.report`` has already scrubbed."""
    return json.dumps(redacted_dict(report), indent=2, sort_keys=False, default=str) + "\n"


def write_json(report: TierReport, path: str | os.PathLike[str]) -> None:
    write_atomically(path, render_json(report))
