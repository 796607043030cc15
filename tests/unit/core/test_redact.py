"""The scrubber: each kind of secret planted in text, results and reports, and none survives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from kubeadm_verify import redact
from kubeadm_verify.report.jsonreport import render_json
from kubeadm_verify.report.junit import render_junit
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

TOKEN_SECRET = "0123456789abcdef"
TOKEN = f"abcdef.{TOKEN_SECRET}"
HASH = "$6$rounds=5000$saltsalt$Zm9vYmFyYmF6cXV4Lz4uMTIzNDU2Nzg5MA"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAplanted\n-----END RSA PRIVATE KEY-----"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlcGxhbnRlZA"
B64 = "cGxhbnRlZC1zZWNyZXQtZGF0YQ=="
SECRETS = (TOKEN_SECRET, "Zm9vYmFyYmF6cXV4", "MIIEowIBAAKCAQEAplanted", "c2lnbmF0dXJl", B64,
           "planted-bearer", "plantedkeydata", "hunter2")


def _clean(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def test_bootstrap_token_keeps_its_id_only() -> None:
    scrubbed = redact.scrub(f"join with --token {TOKEN} now")
    assert scrubbed == "join with --token abcdef.<redacted> now"


def test_each_kind_is_removed() -> None:
    samples = [
        "Authorization: Bearer planted-bearer",
        f"{{'token-secret': '{B64}', 'token-id': 'abcdef'}}",
        f"token-secret: {TOKEN_SECRET}",
        "client-key-data: plantedkeydata",
        '"password": "hunter2"',
        f"key material {KEY} follows",
        "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEAplanted",  # cut off before its end line
        f"sa token {JWT}",
        f"root:{HASH}:19000:0:99999:7:::",
        f"cannot parse 'daemon:{HASH}:19000:0:99999:7:::' in meminfo",
        f"V1Secret(data={{'auth-extra-groups': '{B64}', 'x': 'y'}})",
        f"kind: Secret\ndata:\n  token-secret: {B64}\n  usage-bootstrap-signing: dHJ1ZQ==\n",
    ]
    for sample in samples:
        scrubbed = redact.scrub(sample)
        assert _clean(scrubbed), (sample, scrubbed)
        assert redact.MASK in scrubbed or "<redacted private key>" in scrubbed


def test_ordinary_text_is_left_alone() -> None:
    text = ("the number of available CPUs 1 is less than the required 2; "
            "sha256 0f343b0931126a20f133d67c2b018a3b and port 6443 is in use")
    assert redact.scrub(text) == text


def _report() -> TierReport:
    planted = CheckResult(
        id="cluster/planted", status=Status.FAIL, severity=Severity.ERROR,
        message=f"assert {TOKEN} == x; Bearer planted-bearer",
        remediation=f"rotate {HASH}",
        details={"secret": {"data": {"token-secret": B64}}, "lines": [KEY, JWT],
                 "client-key-data": "plantedkeydata"},
    )
    warned = CheckResult(id="w", status=Status.WARN, severity=Severity.WARNING,
                         message="password=hunter2")
    return TierReport("cluster", datetime.now(UTC), 1.0, (planted, warned))


def test_report_writers_scrub_everything() -> None:
    report = _report()
    for text in (render_json(report), render_junit(report)):
        assert _clean(text), text
    json.loads(render_json(report))  # still valid JSON after scrubbing


def test_console_scrubs() -> None:
    from io import StringIO

    from rich.console import Console

    from kubeadm_verify.report.console import print_preflight, print_tests

    out = StringIO()
    console = Console(file=out, width=200)
    print_tests(console, _report())
    print_preflight(console, _report())
    assert _clean(out.getvalue())


def test_a_log_file_is_scrubbed_in_place_and_kept_byte_for_byte_elsewhere(tmp_path: Path) -> None:
    log = tmp_path / "e2e.log"
    log.write_bytes(b"\xff\xfe binary ok\nAuthorization: Bearer planted-bearer\nend\n")
    assert redact.scrub_file(log)
    assert log.read_bytes() == b"\xff\xfe binary ok\nAuthorization: Bearer <redacted>\nend\n"
    assert not redact.scrub_file(log)


def test_spec_names_and_prose_stay_as_they_are() -> None:
    for text in ("[sig-apps] StatefulSet Basic StatefulSet functionality [StatefulSetBasic]",
                 "[sig-network] Services should serve a basic endpoint from pods [Conformance]",
                 "the bearer token of the service account is mounted"):
        assert redact.scrub(text) == text


def test_an_xml_log_stays_well_formed(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    junit = tmp_path / "junit_01.xml"
    junit.write_text(f'<testsuites><testcase name="x"><failure>token-secret: {TOKEN_SECRET}\n'
                     f"{KEY}</failure></testcase></testsuites>\n")
    assert redact.scrub_file(junit)
    text = ET.parse(junit).getroot().find("testcase/failure").text  # type: ignore[union-attr]
    assert text is not None and TOKEN_SECRET not in text and "<redacted>" in text
