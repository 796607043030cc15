"""The terminal report: kubeadm's preflight style for the node tier, a test list for the others.

kubeadm prints warnings as ``[WARNING Id]: message`` as they happen and gathers fatal errors under
``[preflight] Some fatal errors occurred:``; operators grep for those lines, so the node tier keeps
them exactly.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from kubeadm_verify import redact
from kubeadm_verify.results import CheckResult, Status, TierReport

STYLE = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIP: "dim",
    Status.ERROR: "bold magenta",
}


def make_console(*, stderr: bool = False) -> Console:
    # rich honours NO_COLOR and turns colour off when the stream is not a terminal.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_preflight(console: Console, report: TierReport) -> None:
    report = redact.report(report)
    console.print("\\[preflight] Running pre-flight checks")
    for result in report.by_status(Status.WARN):
        console.print(f"\t[yellow]\\[WARNING {escape(result.id)}][/]: {escape(result.message)}")
        _print_validator_items(console, result)
    fatal = [r for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
    if fatal:
        console.print("\\[preflight] Some fatal errors occurred:")
        for result in fatal:
            console.print(f"\t[bold red]\\[ERROR {escape(result.id)}][/]: {escape(result.message)}")
            _print_validator_items(console, result)
        console.print(
            "\\[preflight] If you know what you are doing, you can make a check non-fatal with "
            "`--ignore-preflight-errors=...`"
        )
    print_summary(console, report)


def _print_validator_items(console: Console, result: CheckResult) -> None:
    """Print SystemVerification's item report, as kubeadm does when the verification fails."""
    items = result.details.get("report")
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict):  # the note that a long list was cut
            console.print(f"\t\t{escape(str(item))}")
            continue
        style = {"good": "green", "bad": "red", "warn": "yellow"}.get(item.get("result", ""), "")
        console.print(f"\t\t{escape(item['key'])}: [{style}]{escape(item['value'])}[/]")


def print_tests(console: Console, report: TierReport) -> None:
    report = redact.report(report)
    for result in report.results:
        label = result.status.value.upper().ljust(5)
        line = f"[{STYLE[result.status]}]{label}[/] {escape(result.id)}"
        if result.status is not Status.PASS and result.message:
            line += f"  [dim]{escape(_first_line(result.message))}[/]"
        console.print(line)
    print_summary(console, report)


def print_summary(console: Console, report: TierReport) -> None:
    counts = report.summary()
    parts = ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
    verdict = "[bold red]FAILED[/]" if report.failed else "[green]OK[/]"
    console.print(f"{report.tier}: {verdict} ({parts}) in {report.duration_s:.2f}s")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
