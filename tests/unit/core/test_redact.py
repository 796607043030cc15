"""The scrubber: each kind of secret planted in text, results and reports, and none survives."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kubeadm_verify import redact
from kubeadm_verify.record import replace
from kubeadm_verify.report.jsonreport import render_json
from kubeadm_verify.report.junit import render_junit
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

TOKEN_SECRET = "0123456789abcdef"
TOKEN = f"abcdef.{TOKEN_SECRET}"
HASH = "$6$rounds=5000$saltsalt$Zm9vYmFyYmF6cXV4Lz4uMTIzNDU2Nzg5MA"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAplanted\n-----END RSA PRIVATE KEY-----"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlcGxhbnRlZA"
B64 = "cGxhbnRlZC1zZWNyZXQtZGF0YQ=="
SECRETS = (
    TOKEN_SECRET,
    "Zm9vYmFyYmF6cXV4",
    "MIIEowIBAAKCAQEAplanted",
    "c2lnbmF0dXJl",
    B64,
    "planted-bearer",
    "plantedkeydata",
    "hunter2",
)


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
    text = (
        "the number of available CPUs 1 is less than the required 2; "
        "sha256 0f343b0931126a20f133d67c2b018a3b and port 6443 is in use"
    )
    assert redact.scrub(text) == text


def _report() -> TierReport:
    planted = CheckResult(
        id="cluster/planted",
        status=Status.FAIL,
        severity=Severity.ERROR,
        message=f"assert {TOKEN} == x; Bearer planted-bearer",
        remediation=f"rotate {HASH}",
        details={
            "secret": {"data": {"token-secret": B64}},
            "lines": [KEY, JWT],
            "client-key-data": "plantedkeydata",
        },
    )
    warned = CheckResult(
        id="w", status=Status.WARN, severity=Severity.WARNING, message="password=hunter2"
    )
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
    for text in (
        "[sig-apps] StatefulSet Basic StatefulSet functionality [StatefulSetBasic]",
        "[sig-network] Services should serve a basic endpoint from pods [Conformance]",
        "the bearer token of the service account is mounted",
    ):
        assert redact.scrub(text) == text


def test_an_xml_log_stays_well_formed(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    junit = tmp_path / "junit_01.xml"
    junit.write_text(
        f'<testsuites><testcase name="x"><failure>token-secret: {TOKEN_SECRET}\n'
        f"{KEY}</failure></testcase></testsuites>\n"
    )
    assert redact.scrub_file(junit)
    text = ET.parse(junit).getroot().find("testcase/failure").text  # type: ignore[union-attr]
    assert text is not None and TOKEN_SECRET not in text and "<redacted>" in text


# Bounds, escapes and case: what the one door does before any writer sees a result --------------

CONTROLS = "a\x1b[31mred\x00nul\x07bell\x0cff\rcr\x85nel\udc80sur\ufffenon\x7fdel"


def test_control_characters_are_shown_escaped() -> None:
    cleaned = redact.clean(CONTROLS)
    assert cleaned == (
        "a\\x1b[31mred\\x00nul\\x07bell\\x0cff\\x0dcr\\x85nel\\udc80sur\\ufffenon\\x7fdel"
    )
    assert redact.clean("tab\tand\nnewline stay") == "tab\tand\nnewline stay"


def test_long_text_is_cut_and_says_so() -> None:
    cleaned = redact.clean("x" * 8_000_000)
    assert len(cleaned) < redact.MAX_MESSAGE + 100
    assert cleaned.endswith(f"… [cut at {redact.MAX_MESSAGE} of 8000000 characters]")
    escaped = redact.clean("\x00" * redact.MAX_MESSAGE)  # short, but four times longer escaped
    assert len(escaped) < redact.MAX_MESSAGE + 100 and "[cut at" in escaped


def test_a_cut_never_leaves_part_of_a_secret() -> None:
    for pad in range(redact.MAX_MESSAGE - 30, redact.MAX_MESSAGE + 5):
        cleaned = redact.clean("y" * pad + " " + TOKEN + " tail")
        assert TOKEN_SECRET[:4] not in cleaned.replace("y", ""), (pad, cleaned[-60:])
    key_cut = redact.clean("z" * (redact.MAX_MESSAGE - 20) + " " + KEY)
    assert "MIIEow" not in key_cut


def test_one_line_stays_one_line() -> None:
    line = redact.one_line("cannot read\nsecond line\x1b[2J with password: hunter2")
    assert "\n" not in line and "\\n" in line and "\\x1b" in line and "hunter2" not in line


@pytest.mark.parametrize("change", [str.lower, str.upper, str.swapcase])
def test_a_secret_changed_in_case_is_still_removed(change: Callable[[str], str]) -> None:
    for sample in (
        f"key material {KEY} follows",
        f"join with --token {TOKEN}",
        f"jwt {JWT}",
        f"root:{HASH}:19000:0:99999:7:::",
        "Authorization: Bearer planted-bearer",
    ):
        changed = change(sample)
        scrubbed = redact.scrub(changed)
        for secret in SECRETS:
            assert change(secret) not in scrubbed, (changed, scrubbed)


def test_a_lower_cased_private_key_in_a_result_is_removed() -> None:
    item = CheckResult(
        "Kubeconfig", Status.FAIL, Severity.ERROR, message=f"unexpected content: {KEY}".lower()
    )
    assert "miieow" not in redact.result(item).message


def test_details_are_bounded_in_length_and_items() -> None:
    details = {
        "content": "x" * 8_000_000,
        "lines": [f"l{i}" for i in range(100_000)],
        "nested": {"deep": CONTROLS},
        "many": {f"k{i}": i for i in range(100_000)},
    }
    item = redact.result(CheckResult("X", Status.WARN, Severity.WARNING, details=details))
    assert len(json.dumps(dict(item.details))) < 10_000
    assert item.details["lines"][-1] == f"… [cut at {redact.MAX_ITEMS} of 100000 items]"
    assert "\\x1b" in item.details["nested"]["deep"]
    assert item.details["many"]["…"] == f"[cut at {redact.MAX_ITEMS} of 100000 keys]"


def test_junit_is_well_formed_whatever_a_result_holds(tmp_path: Path) -> None:
    nasty = CheckResult(
        f"id{CONTROLS}",
        Status.FAIL,
        Severity.ERROR,
        message=CONTROLS,
        remediation=CONTROLS,
        details={"x": CONTROLS},
        conformance=(CONTROLS,),
        origin=CONTROLS,
    )
    warned = replace(nasty, status=Status.WARN)
    report = TierReport("node", datetime.now(UTC), 0.1, (nasty, warned))
    path = tmp_path / "junit.xml"
    path.write_text(render_junit(report), encoding="utf-8")
    parsed = ET.parse(path)
    assert parsed.getroot().find(".//failure") is not None
    assert "\\x1b" in path.read_text()
    json.loads(render_json(report))


FRAGMENTS = (
    "token",
    "TOKEN",
    "password",
    "Passwd",
    "secret",
    "client-key-data",
    "api_key",
    "apikey",
    "authorization",
    "Authorization: Bearer ",
    "bearer ",
    "basic ",
    "data",
    "stringData",
    "string_data",
    ":",
    "=",
    ": ",
    "{",
    "}",
    "\n",
    "\t",
    "  ",
    '"',
    "'",
    ".",
    "$",
    "$6$",
    "eyJ",
    "eyj",
    "abcdef",
    "0123456789abcdef",
    "abc123def456ghi7",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "private key",
    "root",
    "x",
    "0",
    "::",
    "/etc/kubernetes",
    "\x1b",
    "\x00",
    "\x7f",
    "\x85",
    "\u212a",
    "\u017f",
    "\u0130",
    "é",
    "\ud800",
    "\ufffe",
    "<redacted>",
    "kube-apiserver",
    "v1.37.2",
    "10.96.0.0/12",
    "fd00::1",
    "eyJabcd",
    "abcd.",
    "daemon:xy:1:2:3:4:",
    "…",
    "≥",
    "\u00a0",
    "\u200b",
    "to\u212aen",
    "ſecret",
    "root:x:",
    "19000:0:",
    "data:\n  ",
    "$y$",
    "$1$",
    JWT,
    HASH,
    TOKEN,
    KEY,
    B64,
)


def _all_passes(text: str) -> str:
    """The scrubber without its shortcut: every pattern over every text."""
    if not text:
        return text
    for name, _, replacement in redact._PASSES:
        text = redact._pattern(name).sub(replacement, text)
    return text


def test_the_shortcut_never_changes_what_the_patterns_give() -> None:
    """The scrubber skips a pattern only when an ASCII text lacks what it needs to match (and
    compiles it only when a text may): on thousands of texts made of the patterns' own pieces,
    in every case, the result is what running every pattern gives, for ``scrub``, the control
    characters' escapes and the secret-like mapping keys alike."""
    import random

    chooser = random.Random(20261206)  # noqa: S311 (reproducible test texts, not secrets)
    texts = [*SECRETS, TOKEN, HASH, KEY, JWT, KEY.lower()]
    for _ in range(4000):
        text = "".join(chooser.choice(FRAGMENTS) for _ in range(chooser.randint(1, 12)))
        texts += [text, text.upper(), text.swapcase()]
    for text in texts:
        assert redact.scrub(text) == _all_passes(text), repr(text)
        assert redact.escape_controls(text) == redact._pattern("control").sub(
            redact._escaped, text
        ), repr(text)
        key = text.strip(" :={}")
        assert redact._secret_key(key) == bool(redact._pattern("secret key").match(key)), key
    assert redact._secret_key("client_key_data") and not redact._secret_key("kernel_release")


def test_the_fold_knows_every_letter_re_takes_for_an_ascii_one() -> None:
    """Ignoring case, ``re`` matches a few letters outside ASCII to ASCII ones; the scrubber's
    shortcut reads a text with exactly those as their ASCII letters."""
    import re

    every_character = "".join(map(chr, range(0x80, 0x110000)))
    found = {m[0] for m in re.finditer("(?i)[a-z]", every_character)}
    assert {chr(code) for code in redact._ASCII_FOLD} == found
    for letter in found:
        assert re.fullmatch(f"(?i){redact._folded(letter)}", letter)


def test_clean_keeps_only_what_it_found_nothing_to_hide_in() -> None:
    plain, secret = "sched_getaffinity", "password: hunter2-kvredact"
    assert redact.clean(plain) == plain
    assert redact.clean(secret) == "password: <redacted>"
    assert redact.clean(secret) == "password: <redacted>"  # asked again: cleaned again
    kept = {text for text, _ in redact._cleaned}
    assert plain in kept
    assert not any("hunter2" in text for text in kept)
