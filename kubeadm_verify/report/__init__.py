"""Writers that turn one ``TierReport`` into the terminal text, JUnit XML and ``results.json``."""

from __future__ import annotations

import os

from kubeadm_verify import redact
from kubeadm_verify.report.atomic import write_atomically
from kubeadm_verify.report.jsonreport import json_text, write_json
from kubeadm_verify.report.junit import junit_text, write_junit
from kubeadm_verify.results import TierReport

_writes: list[str] = []
"""Each tier folder this process wrote reports into, in order: the CLI asks whether a verb left
its own report (``written_since``) before it leaves one with a single ``error`` entry."""


def write_count() -> int:
    """How many reports this process has written so far (a mark for ``written_since``)."""
    return len(_writes)


def written_since(mark: int, output_dir: str | os.PathLike[str], tier: str) -> bool:
    """Whether ``output_dir/tier`` got a report after ``write_count()`` returned ``mark``."""
    folder = os.path.abspath(os.path.join(output_dir, tier))
    return folder in _writes[mark:]


def write_files(report: TierReport, output_dir: str | os.PathLike[str]) -> str:
    """Write ``<tier>/junit.xml`` and ``<tier>/results.json``; return the tier's folder."""
    folder = os.path.join(output_dir, report.tier)
    os.makedirs(folder, exist_ok=True)
    scrubbed = redact.report(report)  # once for both files: the scrubber is most of their cost
    write_atomically(os.path.join(folder, "junit.xml"), junit_text(scrubbed))
    write_atomically(os.path.join(folder, "results.json"), json_text(scrubbed))
    _writes.append(os.path.abspath(folder))
    return folder


__all__ = ["write_count", "write_files", "write_json", "write_junit", "written_since"]
