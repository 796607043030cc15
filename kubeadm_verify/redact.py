"""The one scrubber every report, console line and log line passes through before it is written.

Reports are uploaded as CI artifacts and read by many people, and the suite runs against hosts
and clusters that are broken by definition: a failing assertion may print a bootstrap token's
Secret, a parse error may echo a line of ``/etc/shadow``. Checks try not to put such data in
their messages, but the writers cannot rely on that, so they scrub whatever they are given:
bootstrap-token secrets, bearer tokens and service-account JWTs, PEM private keys, credential
fields of kubeconfigs and Secrets (``token-secret``, ``client-key-data``, ``token``,
``password``...), the whole ``data`` of a Secret, and password hashes (crypt strings, shadow
lines). A bootstrap token keeps its id (public, and what an operator needs to find it).

Every pattern ignores case: a check that lower-cases or upper-cases a message (as kubeadm's own
messages sometimes do) must not turn a private key into text the scrubber no longer knows.

The same door bounds and escapes what a result carries (``clean``): a host file under
``--root`` may be megabytes of anything, and a message quoting it would copy it into every
report. A message is cut at ``MAX_MESSAGE`` characters, a string in the details at
``MAX_DETAIL``, a list at ``MAX_ITEMS``, each saying it was cut; control characters (a
terminal's escape sequences, NUL, what XML 1.0 forbids) are shown escaped as ``\\x1b``. The
scrubber runs last, over the text as it will be written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from kubeadm_verify.record import replace
from kubeadm_verify.results import CheckResult, TierReport

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MASK = "<redacted>"
MAX_MESSAGE = 1000
"""Characters of a message or remediation: a sentence and its evidence, never a whole file."""
MAX_DETAIL = 2000
"""Characters of one string in a result's details (a short traceback fits)."""
MAX_ITEMS = 200
"""Items of one list in a result's details."""
_MARGIN = 8192
"""Text scrubbed beyond a cut, so a secret that straddles the cut is still recognised whole."""
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
"""Control characters but tab and newline, lone surrogates and the two non-characters: what
XML 1.0 forbids, and what a terminal would act on rather than show."""

_KEYS = (
    r"token[-_]?secret|client[-_]key[-_]data|client[-_]key|token|id[-_]token|refresh[-_]token|"
    r"access[-_]token|password|passwd|secret|private[-_]key|authorization|api[-_]?key"
)
_KEY_WORDS = ("token", "secret", "passw", "key", "authorization")
"""Every name in ``_KEYS`` holds one of these (lower case): a text with none has no such field."""
_KEY_NAME_WORDS = ("token", "secret", "passw", "client", "private", "api", "authorization", "data")
"""The same for a mapping's key, matched whole (``key`` alone, a common key, names no secret)."""

_SOURCES: dict[str, str] = {
    "control": _CONTROL,
    "private key": (
        r"(?is)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END \1PRIVATE KEY-----"
        r"|(?:\s*(?:\\n)?[A-Za-z0-9+/=:,-]+)*)"  # a key cut short: its base64 lines, and no more
    ),
    "yaml data": (
        r"(?im)^(?P<indent>[ \t]*)(?P<key>data|stringData):[ \t]*\n"
        r"(?P<body>(?:(?P=indent)[ \t]+\S[^\n]*\n?)+)"
    ),
    "data mapping": r"(?i)([\"']?\b(?:data|stringData|string_data)\b[\"']?\s*[:=]\s*)\{[^{}]*\}",
    # After ``Authorization:`` always; elsewhere ``bearer`` is followed by a credential only when
    # what follows looks like one (long, not a plain word), so prose stays as it was.
    "bearer": (
        r"(?i)(authorization:\s*(?:bearer|basic)\s+)[^\s\"'<]+"
        r"|(\bbearer\s+)(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9\-._~+/]{12,}=*"
    ),
    "field": (
        rf"(?i)(?P<key>[\"']?\b(?:{_KEYS})\b[\"']?\s*[:=]\s*)(?P<q>[\"']?)"
        r"(?P<value>(?!<redacted>|(?i:bearer|basic)\s)[^\s\"',}\]]+)"
    ),
    "jwt": r"(?i)\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
    "bootstrap token": r"(?i)\b([a-z0-9]{6})\.[a-z0-9]{16}\b",
    "crypt": r"(?i)\$(?:1|2[abxy]?|5|6|7|y|gy|md5|sha1)\$[^\s:'\"]+",
    "shadow": r"(?m)(^|[\s'\"(\[])([A-Za-z_][\w.-]*\$?):([^:\s'\"]{2,}):(\d{0,6}:\d*:\d*:\d*:)",
    "secret key": rf"(?i)^(?:{_KEYS}|data|stringData|string_data)$",
}
"""Each pattern the scrubber has, compiled the first time a text may match it (``_pattern``):
most texts hold none of them, and compiling all of them costs ``kubeadm-verify node``, which is
timed against kubeadm's own preflight, a visible share of its run. Every pattern ignores case."""

_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    compiled = _compiled.get(name)
    if compiled is None:
        compiled = _compiled[name] = re.compile(_SOURCES[name])
    return compiled


_PASSES: tuple[tuple[str, Callable[[str], bool], str | Callable[[re.Match[str]], str]], ...] = (
    ("private key", lambda low: "private key-----" in low, "<redacted private key>"),
    ("yaml data", lambda low: "data:" in low, lambda m: f"{m['indent']}{m['key']}: {MASK}\n"),
    ("data mapping", lambda low: "data" in low and "{" in low, lambda m: f"{m[1]}{{{MASK}}}"),
    (
        "bearer",
        lambda low: "bearer" in low or "authorization" in low,
        lambda m: f"{m[1] or m[2]}{MASK}",
    ),
    (
        "field",
        lambda low: ("=" in low or ":" in low) and any(word in low for word in _KEY_WORDS),
        lambda m: f"{m['key']}{m['q']}{MASK}",
    ),
    ("jwt", lambda low: "eyj" in low, MASK),
    ("bootstrap token", lambda low: "." in low, lambda m: f"{m[1]}.{MASK}"),
    ("crypt", lambda low: low.count("$") >= 2, MASK),
    ("shadow", lambda low: low.count(":") >= 6, lambda m: f"{m[1]}{m[2]}:{MASK}:{m[4]}"),
)
"""The scrubber's passes in order: a pattern, what a text must contain (``_folded``) for the
pattern to match it, and its replacement. The test is only ever a necessary condition, so a pass
it skips would have changed nothing (``tests/unit/core/test_redact.py`` compares the two)."""

_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
"""The four letters outside ASCII that ``re`` matches to an ASCII letter when it ignores case
(dotted and dotless I, the long S, the Kelvin sign), as that letter; the test finds them all."""


def _folded(text: str) -> str:
    """``text`` as the passes' tests read it: lower case, with the letters ``re`` takes for ASCII
    ones as those, so a pattern that ignores case can only match where the words are."""
    return text.lower() if text.isascii() else text.translate(_ASCII_FOLD).lower()


def scrub(text: str) -> str:
    """``text`` with every secret-like value replaced by ``<redacted>``."""
    if not text:
        return text
    folded = _folded(text)
    for name, may_match, replacement in _PASSES:
        if not may_match(folded):
            continue
        replaced = _pattern(name).sub(replacement, text)
        if replaced != text:
            text = replaced
            folded = _folded(text)
    return text


def escape_controls(text: str) -> str:
    """``text`` with each control character shown as its escape (``\\x1b``, ``\\udc80``)."""
    if text.isprintable() or _without_tab_and_newline(text).isprintable():
        return text  # every character the pattern escapes is one Python calls unprintable
    return _pattern("control").sub(_escaped, text)


def _without_tab_and_newline(text: str) -> str:
    return text.replace("\t", "").replace("\n", "")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_cleaned: dict[tuple[str, int], str] = {}
"""Short texts ``clean`` found nothing to change in: a report repeats most of them (every
result's detail keys, common values), and a cleaned text depends on nothing but the text and
the limit. A text with anything redacted, escaped or cut is never kept."""
_CLEANED_KEPT = 4096
_CLEANED_LENGTH = 256


def clean(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as a report may show it: scrubbed, its control characters escaped, cut at
    ``limit`` characters with a note of how long it was, then scrubbed again as it now reads
    (a cut or an escape must not hand the scrubber a secret it no longer recognises)."""
    if not text or len(text) > _CLEANED_LENGTH:
        return _clean(text, limit) if text else text
    key = (text, limit)
    cleaned = _cleaned.get(key)
    if cleaned is None:
        cleaned = _clean(text, limit)
        if cleaned == text:  # only texts with nothing to hide are kept, never a secret
            if len(_cleaned) >= _CLEANED_KEPT:
                _cleaned.clear()
            _cleaned[key] = cleaned
    return cleaned


def _clean(text: str, limit: int) -> str:
    scrubbed = scrub(text[: limit + _MARGIN])
    shown = escape_controls(scrubbed)
    if len(shown) > limit or len(text) > limit + _MARGIN:
        shown = f"{shown[:limit]}… [cut at {limit} of {len(text)} characters]"
    return shown if shown == scrubbed else scrub(shown)


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``clean`` for a line on stderr: newlines shown as ``\\n`` too, so it stays one line."""
    return clean(text.strip().replace("\r\n", "\n").replace("\n", "\\n"), limit)


def _secret_key(key: str) -> bool:
    """Whether a mapping's key names a secret (its value then goes whole)."""
    folded = _folded(key)
    if not any(word in folded for word in _KEY_NAME_WORDS):
        return False  # every secret-like name holds one of those words
    return _pattern("secret key").match(key) is not None


def scrub_value(value: Any, limit: int = MAX_DETAIL) -> Any:
    """Scrub strings anywhere inside JSON-like data (dicts, lists, tuples); keys too. Under a
    secret-like key (``token-secret``, ``password``, a Secret's ``data``) the value goes whole.
    Each string is ``clean``-ed to ``limit`` characters, each list and mapping cut at
    ``MAX_ITEMS``."""
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, Mapping):
        kept_items = list(value.items())[:MAX_ITEMS]
        mapping = {
            clean(str(k), limit): MASK if _secret_key(str(k)) else scrub_value(v, limit)
            for k, v in kept_items
        }
        if len(value) > MAX_ITEMS:
            mapping["…"] = f"[cut at {MAX_ITEMS} of {len(value)} keys]"
        return mapping
    if isinstance(value, (list, tuple)):
        kept = [scrub_value(v, limit) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            kept.append(f"… [cut at {MAX_ITEMS} of {len(value)} items]")
        return kept
    return value


def result(item: CheckResult) -> CheckResult:
    """One result, scrubbed, escaped and bounded in every field a writer shows; its id (a
    test's name, which reports are matched by) only has its control characters escaped."""
    return replace(
        item,
        id=escape_controls(item.id),
        message=clean(item.message),
        remediation=clean(item.remediation),
        details=scrub_value(dict(item.details)),
    )


def report(tier_report: TierReport) -> TierReport:
    """The report every writer renders: each of its results scrubbed."""
    return replace(tier_report, results=tuple(result(item) for item in tier_report.results))


def scrub_file(path: Path) -> bool:
    """Scrub a log another program wrote into the reports folder (ginkgo's ``e2e.log``, its
    JUnit), in place and byte for byte elsewhere; True when something was removed."""
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return False
    cleaned = scrub(text)
    if path.suffix == ".xml":  # the masks must stay text, not become tags
        cleaned = (
            cleaned.replace("<redacted", "&lt;redacted")
            .replace("redacted>", "redacted&gt;")
            .replace("private key>", "private key&gt;")
        )
    if cleaned == text:
        return False
    temporary = path.with_name(f".{path.name}.scrubbed")
    temporary.write_bytes(cleaned.encode("utf-8", "surrogateescape"))
    os.replace(temporary, path)
    return True


__all__ = [
    "MASK",
    "MAX_DETAIL",
    "MAX_ITEMS",
    "MAX_MESSAGE",
    "clean",
    "escape_controls",
    "one_line",
    "report",
    "result",
    "scrub",
    "scrub_file",
    "scrub_value",
]
