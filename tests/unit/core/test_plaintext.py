"""The node tier's plain text is rich's own output to a pipe, character for character, or it is
left to rich: over reports whose messages hold markup, backslashes, tabs, wide characters, emoji
codes, control characters and several lines."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from kubeadm_verify.cli.common import finish
from kubeadm_verify.cli.node import print_text
from kubeadm_verify.report import plaintext
from kubeadm_verify.report.console import make_console, print_preflight
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

MESSAGES = [
    "",
    "plain words",
    "ends in a space ",
    "a [bold]tag[/] and [/] and [link=x] and \\[escaped]",
    "a trailing backslash \\",
    "two backslashes \\\\[red]x",
    "tab\tinside and\tagain",
    "wide 中文\tthen a tab",
    "wide 中文 and no tab",
    "an emoji code :warning: here",
    "a port 127.0.0.1:10250: refused",
    "IPv6 ::1 and fe80::1",
    "two\nlines\twith a tab",
    "bell \x07 and escape \x1b[31m red",
    "password: hunter2 and token=abcdef.0123456789abcdef",
    "x" * 1500,
]
ITEMS: list[Any] = [
    {"key": "KERNEL_VERSION", "value": "6.1.0", "result": "good"},
    {"key": "CGROUPS [cpu]", "value": "enabled\tyes", "result": "warn"},
    {"key": "OS", "value": "Linux :smile:", "result": "bad"},
    "… [cut at 200 of 300 items]",
]


def report(message: str, items: list[Any] | None = None) -> TierReport:
    details = {} if items is None else {"report": items}
    results = (
        CheckResult("NumCPU", Status.PASS, Severity.ERROR),
        CheckResult("Swap", Status.WARN, Severity.WARNING, message),
        CheckResult("SystemVerification", Status.FAIL, Severity.ERROR, message, details=details),
        CheckResult("Port-6443", Status.ERROR, Severity.ERROR, "in use [tcp]"),
        CheckResult("Mem", Status.SKIP, Severity.ERROR, "skipped"),
    )
    return TierReport("node", datetime(2026, 1, 1, tzinfo=UTC), 1.234, results)


def rich_output(monkeypatch: pytest.MonkeyPatch, tier_report: TierReport) -> str:
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    print_preflight(make_console(), tier_report)
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def no_colour_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("with_items", [False, True], ids=["", "items"])
def test_plain_text_is_what_rich_writes_or_none(
    monkeypatch: pytest.MonkeyPatch, message: str, with_items: bool
) -> None:
    tier_report = report(message, ITEMS if with_items else None)
    plain = plaintext.preflight_text(tier_report)
    expected = rich_output(monkeypatch, tier_report)
    if plain is not None:
        assert plain == expected
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    print_text(tier_report)  # whichever way it goes, the verb writes rich's characters
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    assert buffer.getvalue() == expected


def test_the_common_reports_are_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    for message in ("plain words", "tab\tinside", "a [bold]tag[/]", "/var/lib/kubelet: exists"):
        plain = plaintext.preflight_text(report(message, ITEMS[:2]))
        assert plain is not None
        assert plain == rich_output(monkeypatch, report(message, ITEMS[:2]))


def test_an_unknown_item_result_or_an_emoji_code_is_left_to_rich() -> None:
    assert plaintext.preflight_text(report("x", [{"key": "k", "value": "v"}])) is None
    assert plaintext.preflight_text(report("see :warning:")) is None
    assert plaintext.preflight_text(report("wide 中\t")) is None


def test_only_a_pipe_without_forced_colour_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert plaintext.plain_wanted(io.StringIO())
    assert not plaintext.plain_wanted(Terminal())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not plaintext.plain_wanted(io.StringIO())


@pytest.mark.parametrize("folder", ["reports", "odd [dir]", "back\\slash", "emoji :x:"])
def test_the_reports_hint_is_what_rich_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, folder: str
) -> None:
    output = tmp_path / folder
    outputs = []
    for plain in (True, False):
        monkeypatch.setattr(plaintext, "plain_wanted", lambda _stream, plain=plain: plain)
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stdout", buffer)
        finish(report("x"), output, "text")
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("reports: ")
