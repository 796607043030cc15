"""The node tier's terminal text without rich, when rich would print plain text anyway.

Written to a pipe or a file (not a terminal, no ``FORCE_COLOR``/``TTY_COMPATIBLE``), rich prints
no colour: the text of ``kubeadm_verify.report.console``'s lines with their markup removed, tabs
expanded to eight columns, emoji codes such as ``:warning:`` replaced. Importing rich's console
costs about 0.03 s, a share of ``kubeadm-verify node`` (timed against kubeadm's own preflight)
comparable to its checks; so where the result is certain, the same characters are written here.
Where it is not (a tab after a character that is not ASCII, something that could be an emoji
code, a ``[`` in a folder name), these functions answer ``None`` and the caller uses rich as
before. ``tests/unit/core/test_plaintext.py`` compares the two over awkward reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TextIO

from kubeadm_verify import redact
from kubeadm_verify.results import CheckResult, Status, TierReport

_TAB_SIZE = 8
_COLOUR_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
"""What makes rich treat a pipe as a terminal (or might): with any set, rich renders."""
_MAYBE_EMOJI = re.compile(r":[^\s:]+:")
"""A ``:name:`` rich may replace with an emoji: any, since its table is not consulted here."""
_STYLES = ("good", "bad", "warn")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters but tab and newline: rich drops some of them (the report escapes them all
before this sees them; should one remain, rich decides)."""


def plain_wanted(stream: TextIO) -> bool:
    """Whether rich would print ``stream`` without colour (not a terminal, nothing forcing one)."""
    if any(name in os.environ for name in _COLOUR_VARIABLES):
        return False
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: leave it to rich
        return False


def preflight_text(report: TierReport) -> str | None:
    """``console.print_preflight``'s output as plain text, or ``None`` to let rich render it."""
    report = redact.report(report)
    lines = ["[preflight] Running pre-flight checks"]
    for result in report.by_status(Status.WARN):
        lines.append(f"\t[WARNING {result.id}]: {result.message}")
        if not _certain(result.id, result.message) or not _validator_items(lines, result):
            return None
    fatal = [r for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
    if fatal:
        lines.append("[preflight] Some fatal errors occurred:")
        for result in fatal:
            lines.append(f"\t[ERROR {result.id}]: {result.message}")
            if not _certain(result.id, result.message) or not _validator_items(lines, result):
                return None
        lines.append(
            "[preflight] If you know what you are doing, you can make a check non-fatal with "
            "`--ignore-preflight-errors=...`"
        )
    lines.append(summary_line(report))
    return _as_rich_prints(lines)


def hint_text(line: str) -> str | None:
    """A line printed with markup (``[`` starts a tag there), or ``None`` to let rich render it."""
    return None if "[" in line or "\\" in line else _as_rich_prints([line])


def summary_line(report: TierReport) -> str:
    counts = report.summary()
    parts = ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
    verdict = "FAILED" if report.failed else "OK"
    return f"{report.tier}: {verdict} ({parts}) in {report.duration_s:.2f}s"


def _validator_items(lines: list[str], result: CheckResult) -> bool:
    """SystemVerification's items as ``console`` prints them; False where rich must decide."""
    items = result.details.get("report")
    if not isinstance(items, list):
        return True
    for item in items:
        if not isinstance(item, dict):
            lines.append(f"\t\t{item}")
            if not _certain(str(item)):
                return False
            continue
        if item.get("result", "") not in _STYLES:
            return False  # console writes an empty style tag for it: rich's reading, not ours
        lines.append(f"\t\t{item['key']}: {item['value']}")
        if not _certain(str(item["key"]), str(item["value"])):
            return False
    return True


def _certain(*pieces: str) -> bool:
    """Whether rich's ``escape`` and markup give each piece back unchanged: not so for a piece
    ending in a backslash (``escape`` adds one, which is then printed) or with a backslash before
    ``[``."""
    return not any(piece.endswith("\\") or "\\[" in piece for piece in pieces)


def _as_rich_prints(lines: Iterable[str]) -> str | None:
    """The lines as rich writes them to a pipe, or ``None`` where that is not certain here."""
    out = []
    for line in lines:
        if _MAYBE_EMOJI.search(line) or _CONTROL.search(line):
            return None
        if "\t" in line and not line.isascii():
            return None  # rich expands tabs by terminal cell width
        out.append(line.expandtabs(_TAB_SIZE) + "\n")
    return "".join(out)


__all__ = ["hint_text", "plain_wanted", "preflight_text", "summary_line"]
