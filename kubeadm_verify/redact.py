"""The one scrubber every report, console line and log line passes through before it is written.

Reports are uploaded as CI artifacts and read by many people, and the suite runs against hosts
and clusters that are broken by definition: a failing assertion may print a bootstrap token's
Secret, a parse error may echo a line of ``/etc/shadow``. Checks try not to put such data in
their messages, but the writers cannot rely on that, so they scrub whatever they are given:
bootstrap-token secrets, bearer tokens and service-account JWTs, PEM private keys, credential
fields of kubeconfigs and Secrets (``token-secret``, ``client-key-data``, ``token``,
``password``...), the whole ``data`` of a Secret, and password hashes (crypt strings, shadow
lines). A bootstrap token keeps its id (public, and what an operator needs to find it).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubeadm_verify.results import CheckResult, TierReport

MASK = "<redacted>"

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END \1PRIVATE KEY-----"
    r"|(?:\s*(?:\\n)?[A-Za-z0-9+/=:,-]+)*)",  # a key cut short: its base64 lines, and no more
    re.DOTALL,
)
_BOOTSTRAP_TOKEN = re.compile(r"\b([a-z0-9]{6})\.[a-z0-9]{16}\b")
_BEARER = re.compile(
    r"(?i)(authorization:\s*(?:bearer|basic)\s+)[^\s\"'<]+"
    r"|(\bbearer\s+)(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9\-._~+/]{12,}=*"
)
"""After ``Authorization:`` always; elsewhere ``bearer`` is followed by a credential only when
what follows looks like one (long, not a plain word), so prose stays as it was."""
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_CRYPT = re.compile(r"\$(?:1|2[abxy]?|5|6|7|y|gy|md5|sha1)\$[^\s:'\"]+")
_SHADOW = re.compile(
    r"(?m)(^|[\s'\"(\[])([A-Za-z_][\w.-]*\$?):([^:\s'\"]{2,}):(\d{0,6}:\d*:\d*:\d*:)"
)
_KEYS = (
    r"token[-_]?secret|client[-_]key[-_]data|client[-_]key|token|id[-_]token|refresh[-_]token|"
    r"access[-_]token|password|passwd|secret|private[-_]key|authorization|api[-_]?key"
)
_FIELD = re.compile(
    rf"(?i)(?P<key>[\"']?\b(?:{_KEYS})\b[\"']?\s*[:=]\s*)(?P<q>[\"']?)"
    r"(?P<value>(?!<redacted>|(?i:bearer|basic)\s)[^\s\"',}\]]+)"
)
_DATA_MAPPING = re.compile(
    r"(?i)([\"']?\b(?:data|stringData|string_data)\b[\"']?\s*[:=]\s*)\{[^{}]*\}"
)
_YAML_DATA = re.compile(r"(?m)^(?P<indent>[ \t]*)(?P<key>data|stringData):[ \t]*\n"
                        r"(?P<body>(?:(?P=indent)[ \t]+\S[^\n]*\n?)+)")


def scrub(text: str) -> str:
    """``text`` with every secret-like value replaced by ``<redacted>``."""
    if not text:
        return text
    text = _PRIVATE_KEY.sub("<redacted private key>", text)
    text = _YAML_DATA.sub(lambda m: f"{m['indent']}{m['key']}: {MASK}\n", text)
    text = _DATA_MAPPING.sub(lambda m: f"{m[1]}{{{MASK}}}", text)
    text = _BEARER.sub(lambda m: f"{m[1] or m[2]}{MASK}", text)
    text = _FIELD.sub(lambda m: f"{m['key']}{m['q']}{MASK}", text)
    text = _JWT.sub(MASK, text)
    text = _BOOTSTRAP_TOKEN.sub(lambda m: f"{m[1]}.{MASK}", text)
    text = _CRYPT.sub(MASK, text)
    return _SHADOW.sub(lambda m: f"{m[1]}{m[2]}:{MASK}:{m[4]}", text)


_SECRET_KEY = re.compile(rf"(?i)^(?:{_KEYS}|data|stringData|string_data)$")


def scrub_value(value: Any) -> Any:
    """Scrub strings anywhere inside JSON-like data (dicts, lists, tuples); keys too. Under a
    secret-like key (``token-secret``, ``password``, a Secret's ``data``) the value goes whole."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)): MASK if _SECRET_KEY.match(str(k)) else scrub_value(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(v) for v in value]
    return value


def result(item: CheckResult) -> CheckResult:
    """One result, scrubbed in every field a writer shows but its id (a test's name, which
    reports are matched by)."""
    return dataclasses.replace(
        item,
        message=scrub(item.message),
        remediation=scrub(item.remediation),
        details=scrub_value(dict(item.details)),
    )


def report(tier_report: TierReport) -> TierReport:
    """The report every writer renders: each of its results scrubbed."""
    return dataclasses.replace(
        tier_report, results=tuple(result(item) for item in tier_report.results)
    )


def scrub_file(path: Path) -> bool:
    """Scrub a log another program wrote into the reports folder (ginkgo's ``e2e.log``, its
    JUnit), in place and byte for byte elsewhere; True when something was removed."""
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return False
    cleaned = scrub(text)
    if path.suffix == ".xml":  # the masks must stay text, not become tags
        cleaned = cleaned.replace("<redacted", "&lt;redacted").replace(
            "redacted>", "redacted&gt;").replace("private key>", "private key&gt;")
    if cleaned == text:
        return False
    temporary = path.with_name(f".{path.name}.scrubbed")
    temporary.write_bytes(cleaned.encode("utf-8", "surrogateescape"))
    os.replace(temporary, path)
    return True


__all__ = ["MASK", "report", "result", "scrub", "scrub_file", "scrub_value"]
