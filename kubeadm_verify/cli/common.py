"""What every checking verb does around its tier: report files, the console, the exit status."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.report import write_files
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport


def start_failure_report(tier: str, message: str) -> TierReport:
    """The report of a run that could not start: one ``error`` entry that says why."""
    result = CheckResult(
        id=f"{tier}/start", status=Status.ERROR, severity=Severity.ERROR, message=message
    )
    return TierReport(tier, datetime.now(UTC), 0.0, (result,))


def write_start_failure(tier: str, output_dir: str | os.PathLike[str], message: str) -> None:
    try:
        write_files(start_failure_report(tier, message), output_dir)
    except OSError:  # the caller's one line about the cause matters more than the files
        return


def finish(report: TierReport, output_dir: str | os.PathLike[str], fmt: str) -> ExitStatus:
    """Write the files, render the chosen format, and return the exit status."""
    folder = write_files(report, output_dir)
    if fmt == "json":  # the file just written, not a second redaction and rendering of the report
        with open(os.path.join(folder, "results.json"), encoding="utf-8") as written:
            sys.stdout.write(written.read())
    else:
        from kubeadm_verify.report import plaintext

        print_summary_hint = f"reports: {folder}/junit.xml, {folder}/results.json"
        plain = plaintext.hint_text(print_summary_hint)
        if plain is not None and plaintext.plain_wanted(sys.stdout):
            sys.stdout.write(plain)
        else:
            from kubeadm_verify.report.console import make_console  # rich for colour

            make_console().print(print_summary_hint, style="dim")
    return report.exit_code()


__all__ = ["finish", "start_failure_report", "write_start_failure"]
