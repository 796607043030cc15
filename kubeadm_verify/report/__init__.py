"""Writers that turn one ``TierReport`` into the terminal text, JUnit XML and ``results.json``."""

from __future__ import annotations

from pathlib import Path

from kubeadm_verify.report.jsonreport import write_json
from kubeadm_verify.report.junit import write_junit
from kubeadm_verify.results import TierReport


def write_files(report: TierReport, output_dir: Path) -> Path:
    """Write ``<tier>/junit.xml`` and ``<tier>/results.json``; return the tier's folder."""
    folder = output_dir / report.tier
    folder.mkdir(parents=True, exist_ok=True)
    write_junit(report, folder / "junit.xml")
    write_json(report, folder / "results.json")
    return folder


__all__ = ["write_files", "write_json", "write_junit"]
