"""The hand-written JUnit writer gives what ElementTree gave for the same report, byte for byte.

The writer left ElementTree behind for the node tier's start-up; the reference below is the
ElementTree rendering it replaced, so a reader that accepted the old files accepts the new.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from kubeadm_verify import redact
from kubeadm_verify.report.junit import junit_text
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

HOSTILE = 'quote " amp & lt < gt > tab \t cr \r nl \n esc \x1b nul \x00 done'


def _reference(report: TierReport) -> str:
    """The ElementTree rendering: elements, ``indent``, then the declaration ``tostring`` adds."""
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
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"kubeadm-verify.{report.tier}",
                "name": result.id,
                "time": f"{result.duration_s:.3f}",
            },
        )
        properties = ET.SubElement(case, "properties")
        pairs = [("status", result.status.value), ("severity", result.severity.value)]
        if result.origin:
            pairs.append(("origin", result.origin))
        pairs += [("conformance", codename) for codename in result.conformance]
        if result.status is Status.WARN:
            pairs.append(("warning", result.message))
        for name, value in pairs:
            ET.SubElement(properties, "property", {"name": name, "value": value})
        lines = [result.message] if result.message else []
        if result.remediation:
            lines.append(f"remediation: {result.remediation}")
        if result.details:
            lines.append(json.dumps(dict(result.details), indent=2, sort_keys=True, default=str))
        text = "\n".join(lines)
        kinds = {Status.FAIL: "failure", Status.ERROR: "error"}
        if result.status in kinds:
            kind = kinds[result.status]
            attributes = {"message": result.message, "type": kind.replace("failure", "fail")}
            ET.SubElement(case, kind, attributes).text = text
        elif result.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": result.message})
        if result.status is not Status.SKIP:
            ET.SubElement(case, "system-out").text = text
    for element in root.iter():
        element.attrib = {k: redact.escape_controls(v) for k, v in element.attrib.items()}
        if element.text:
            element.text = redact.escape_controls(element.text)
    ET.indent(root)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, "unicode") + "\n"


def _report(*results: CheckResult) -> TierReport:
    return TierReport("node", datetime(2026, 12, 6, 9, 0, tzinfo=UTC), 1.5, results)


CASES = {
    "every status": _report(
        CheckResult("NumCPU", Status.FAIL, Severity.ERROR, "1 CPU", "add CPUs", {"cpus": 1}),
        CheckResult("Swap", Status.WARN, Severity.WARNING, "swap is on", origin="kubeadm"),
        CheckResult("Mem", Status.PASS, Severity.ERROR, "ok"),
        CheckResult("Pull", Status.SKIP, Severity.ERROR, "opt-in only"),
        CheckResult("CRI", Status.ERROR, Severity.ERROR, "could not run", conformance=("a", "b")),
    ),
    "empty messages": _report(
        CheckResult("Quiet", Status.PASS, Severity.ERROR, ""),
        CheckResult("Silent", Status.FAIL, Severity.ERROR, ""),
        CheckResult("Skipped", Status.SKIP, Severity.ERROR, ""),
    ),
    "hostile text everywhere": _report(
        CheckResult(HOSTILE, Status.FAIL, Severity.ERROR, HOSTILE, HOSTILE, {HOSTILE: [HOSTILE]}),
        CheckResult("W", Status.WARN, Severity.WARNING, HOSTILE, origin=HOSTILE),
        CheckResult("S", Status.SKIP, Severity.ERROR, HOSTILE, conformance=(HOSTILE,)),
    ),
    "no results": _report(),
}


@pytest.mark.parametrize("name", CASES)
def test_the_file_is_what_elementtree_wrote(name: str) -> None:
    report = redact.report(CASES[name])
    text = junit_text(report)
    assert text == _reference(report)
    ET.fromstring(text.encode("utf-8"))  # and well-formed
