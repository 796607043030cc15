"""The writers: JSON as the CLI contract shows it, JUnit that CI systems and junitparser read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped

from kubeadm_verify.report import write_files
from kubeadm_verify.report.jsonreport import report_dict
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport


def sample(tier: str = "node") -> TierReport:
    results = (
        CheckResult(
            "NumCPU",
            Status.FAIL,
            Severity.ERROR,
            "the number of available CPUs 1 is less than the required 2",
            "add CPUs",
            {"cpus": 1},
        ),
        CheckResult("Swap", Status.WARN, Severity.WARNING, "swap is on", details={"swaps": 1}),
        CheckResult("Mem", Status.PASS, Severity.ERROR, "ok"),
        CheckResult("ImagePull", Status.SKIP, Severity.ERROR, "opt-in only"),
        CheckResult(
            "CRI", Status.ERROR, Severity.ERROR, "the check could not run", conformance=("x",)
        ),
    )
    return TierReport(tier, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), 0.41, results)


def test_json_matches_the_contract() -> None:
    data = report_dict(sample())
    assert data["tier"] == "node"
    assert data["started"] == "2026-11-24T10:00:00Z"
    assert data["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 1, "error": 1}
    first = data["checks"][0]
    assert first["id"] == "NumCPU" and first["status"] == "fail" and first["severity"] == "error"
    assert first["details"] == {"cpus": 1} and first["remediation"] == "add CPUs"
    assert "conformance" not in first


def test_cluster_entries_carry_conformance_codenames() -> None:
    data = report_dict(sample("cluster"))
    assert data["checks"][4]["conformance"] == ["x"]
    assert data["checks"][0]["conformance"] == []


def test_junit_statuses(tmp_path: Path) -> None:
    folder = Path(write_files(sample(), tmp_path))
    assert folder == tmp_path / "node"
    suites = JUnitXml.fromfile(str(folder / "junit.xml"))
    cases = {case.name: case for suite in suites for case in suite}
    assert list(cases) == ["NumCPU", "Swap", "Mem", "ImagePull", "CRI"]
    assert isinstance(cases["NumCPU"].result[0], Failure)
    assert isinstance(cases["CRI"].result[0], Error)
    assert isinstance(cases["ImagePull"].result[0], Skipped)
    assert cases["Swap"].result == [] and cases["Mem"].result == []
    root = ET.parse(folder / "junit.xml").getroot()
    assert root.get("failures") == "1" and root.get("errors") == "1" and root.get("tests") == "5"
    swap = root.find(".//testcase[@name='Swap']")
    assert swap is not None
    props = {p.get("name"): p.get("value") for p in swap.iter("property")}
    assert props["status"] == "warn" and props["warning"] == "swap is on"
    json.loads((folder / "results.json").read_text())


def test_reports_replace_old_files_whole(tmp_path: Path) -> None:
    write_files(sample(), tmp_path)
    write_files(TierReport("node", datetime.now(UTC), 0.0, ()), tmp_path)
    assert json.loads((tmp_path / "node/results.json").read_text())["checks"] == []
    assert sorted(p.name for p in (tmp_path / "node").iterdir()) == ["junit.xml", "results.json"]


def test_exit_code_follows_failures_and_errors_not_warnings() -> None:
    assert sample().exit_code() == 1
    only_warn = TierReport("node", datetime.now(UTC), 0, (sample().results[1],))
    assert only_warn.exit_code() == 0
