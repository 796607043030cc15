"""Writers that turn one ``TierReport`` into the terminal text, JUnit XML and ``results.json``."""

from __future__ import annotations

from pathlib import Path

from kubeadm_verify import redact
from kubeadm_verify.report.atomic import write_atomically
from kubeadm_verify.report.jsonreport import json_text, write_json
from kubeadm_verify.report.junit import junit_text, write_junit
from kubeadm_verify.results import TierReport


def write_files(report: TierReport, output_dir: Path) -> Path:
    """Write ``<tier>/junit.xml`` and ``<tier>/results.json``; return the tier's folder."""
    folder = output_dir / report.tier
    folder.mkdir(parents=True, exist_ok=True)
    scrubbed = redact.report(report)  # once for both files: the scrubber is most of their cost
    write_atomically(folder / "junit.xml", junit_text(scrubbed))
    write_atomically(folder / "results.json", json_text(scrubbed))
    return folder


__all__ = ["write_files", "write_json", "write_junit"]
