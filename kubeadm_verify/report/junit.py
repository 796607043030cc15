"""JUnit XML from the results model.

Written with ElementTree rather than a JUnit library: a warning must stay visible without failing
the file, which needs ``<properties>`` inside ``<testcase>`` (as pytest's ``record_property``
writes them), and neither junit-xml nor junitparser writes test-case properties.

ElementTree escapes ``<`` and ``&`` but writes control characters as they are, and XML 1.0
forbids most of them: one ESC or NUL from a host file would leave a file no JUnit reader
opens. Messages arrive escaped from ``redact``; every string of the tree (test ids and upstream
spec names included) is escaped once more before it is written, so the file is well-formed
whatever a result holds.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from kubeadm_verify import redact
from kubeadm_verify.report.atomic import write_atomically
from kubeadm_verify.results import CheckResult, Status, TierReport


def render_junit(report: TierReport) -> str:
    report = redact.report(report)
    summary = report.summary()
    counts = {
        "tests": str(len(report.results)),
        "failures": str(summary["fail"]),
        "errors": str(summary["error"]),
        "skipped": str(summary["skip"]),
        "time": f"{report.duration_s:.3f}",
    }
    root = ET.Element("testsuites", {"name": "kubeadm-verify", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"kubeadm-verify.{report.tier}",
            **counts,
            "timestamp": report.started.strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": socket.gethostname(),
        },
    )
    for result in report.results:
        _testcase(suite, report.tier, result)
    _escape_tree(root)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, tier: str, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"kubeadm-verify.{tier}",
            "name": result.id,
            "time": f"{result.duration_s:.3f}",
        },
    )
    properties = ET.SubElement(case, "properties")
    _property(properties, "status", result.status.value)
    _property(properties, "severity", result.severity.value)
    if result.origin:
        _property(properties, "origin", result.origin)
    for codename in result.conformance:
        _property(properties, "conformance", codename)
    if result.status is Status.WARN:
        _property(properties, "warning", result.message)
    text = _evidence(result)
    if result.status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": result.message, "type": "fail"}).text = text
    elif result.status is Status.ERROR:
        ET.SubElement(case, "error", {"message": result.message, "type": "error"}).text = text
    elif result.status is Status.SKIP:
        ET.SubElement(case, "skipped", {"message": result.message})
    if result.status is not Status.SKIP:
        ET.SubElement(case, "system-out").text = text


def _escape_tree(root: ET.Element) -> None:
    """Every attribute and text with what XML 1.0 forbids shown as its escape (``\\x1b``)."""
    for element in root.iter():
        element.attrib = {
            key: redact.escape_controls(value) for key, value in element.attrib.items()
        }
        if element.text:
            element.text = redact.escape_controls(element.text)


def _property(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "property", {"name": name, "value": value})


def _evidence(result: CheckResult) -> str:
    lines = [result.message] if result.message else []
    if result.remediation:
        lines.append(f"remediation: {result.remediation}")
    if result.details:
        lines.append(json.dumps(dict(result.details), indent=2, sort_keys=True, default=str))
    return "\n".join(lines)


def write_junit(report: TierReport, path: Path) -> None:
    write_atomically(path, render_junit(report))
