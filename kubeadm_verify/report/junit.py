"""JUnit XML from the results model.

Written by hand rather than with a JUnit library: a warning must stay visible without failing
the file, which needs ``<properties>`` inside ``<testcase>`` (as pytest's ``record_property``
writes them), and neither junit-xml nor junitparser writes test-case properties. Nor with
ElementTree: the file is a fixed shape of five element kinds, and ElementTree (with the locale
lookup its declaration makes) is a measurable share of ``kubeadm-verify node``, which is timed
against kubeadm's own preflight. The output is what ElementTree with ``indent`` wrote, byte for
byte (``tests/unit/core/test_junit.py`` holds that).

XML 1.0 forbids most control characters, and one ESC or NUL from a host file would leave a file
no JUnit reader opens. Messages arrive escaped from ``redact``; every string (test ids and
upstream spec names included) is escaped once more before it is written, so the file is
well-formed whatever a result holds.
"""

from __future__ import annotations

import _socket  # not socket.py, which makes enums of every constant as it is imported
import json
import os

from kubeadm_verify import redact
from kubeadm_verify.report.atomic import write_atomically
from kubeadm_verify.results import CheckResult, Status, TierReport

DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_INDENT = "  "


def render_junit(report: TierReport) -> str:
    """The JUnit XML of ``report``, scrubbed."""
    return junit_text(redact.report(report))


def junit_text(report: TierReport) -> str:
    """The JUnit XML of a report ``redact.report`` has already scrubbed."""
    summary = report.summary()
    counts = (
        ("tests", str(len(report.results))),
        ("failures", str(summary["fail"])),
        ("errors", str(summary["error"])),
        ("skipped", str(summary["skip"])),
        ("time", f"{report.duration_s:.3f}"),
    )
    suite_attributes = (
        ("name", f"kubeadm-verify.{report.tier}"),
        *counts,
        ("timestamp", report.started.strftime("%Y-%m-%dT%H:%M:%S")),
        ("hostname", _socket.gethostname()),
    )
    lines = [DECLARATION + _open("testsuites", (("name", "kubeadm-verify"), *counts))]
    cases = [_testcase(report.tier, result) for result in report.results]
    if cases:
        lines.append(_INDENT + _open("testsuite", suite_attributes))
        lines.extend(line for case in cases for line in case)
        lines.append(f"{_INDENT}</testsuite>")
    else:
        lines.append(_INDENT + _empty("testsuite", suite_attributes))
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _testcase(tier: str, result: CheckResult) -> list[str]:
    """The lines of one ``<testcase>``, indented as the third level of the file."""
    at = _INDENT * 2
    inner = at + _INDENT
    properties = [("status", result.status.value), ("severity", result.severity.value)]
    if result.origin:
        properties.append(("origin", result.origin))
    properties.extend(("conformance", codename) for codename in result.conformance)
    if result.status is Status.WARN:
        properties.append(("warning", result.message))
    text = _evidence(result)
    lines = [
        at
        + _open(
            "testcase",
            (
                ("classname", f"kubeadm-verify.{tier}"),
                ("name", result.id),
                ("time", f"{result.duration_s:.3f}"),
            ),
        ),
        inner + _open("properties", ()),
        *(
            inner + _INDENT + _empty("property", (("name", name), ("value", value)))
            for name, value in properties
        ),
        inner + "</properties>",
    ]
    if result.status is Status.FAIL:
        lines.append(
            inner + _element("failure", (("message", result.message), ("type", "fail")), text)
        )
    elif result.status is Status.ERROR:
        lines.append(
            inner + _element("error", (("message", result.message), ("type", "error")), text)
        )
    elif result.status is Status.SKIP:
        lines.append(inner + _empty("skipped", (("message", result.message),)))
    if result.status is not Status.SKIP:
        lines.append(inner + _element("system-out", (), text))
    lines.append(at + "</testcase>")
    return lines


def _attributes(attributes: tuple[tuple[str, str], ...]) -> str:
    return "".join(f' {name}="{_escape_attribute(value)}"' for name, value in attributes)


def _open(tag: str, attributes: tuple[tuple[str, str], ...]) -> str:
    return f"<{tag}{_attributes(attributes)}>"


def _empty(tag: str, attributes: tuple[tuple[str, str], ...]) -> str:
    return f"<{tag}{_attributes(attributes)} />"


def _element(tag: str, attributes: tuple[tuple[str, str], ...], text: str) -> str:
    """An element with only text: empty text is an empty element, as ElementTree writes it."""
    if not text:
        return _empty(tag, attributes)
    return f"{_open(tag, attributes)}{_escape_text(text)}</{tag}>"


def _escape_text(text: str) -> str:
    text = redact.escape_controls(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    """Quotes and the three whitespace characters as references, so a reader keeps them."""
    return (
        _escape_text(value)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )


def _evidence(result: CheckResult) -> str:
    lines = [result.message] if result.message else []
    if result.remediation:
        lines.append(f"remediation: {result.remediation}")
    if result.details:
        lines.append(json.dumps(dict(result.details), indent=2, sort_keys=True, default=str))
    return "\n".join(lines)


def write_junit(report: TierReport, path: str | os.PathLike[str]) -> None:
    write_atomically(path, render_junit(report))
