"""The checks the CLI runs on the e2e verb's options while it builds ``E2ESettings``.

Every mistake the command line can hold is named in one line: a duration ginkgo would not
parse, a regex that does not compile, a checksum that is not a sha256, a mirror that is not
http(s). Nothing here touches the network or the cluster.
"""

from __future__ import annotations

import re
import sys
from types import MappingProxyType
from urllib.parse import urlsplit

from kubeadm_verify.errors import UsageError

_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_S = MappingProxyType({"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001})
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def duration_seconds(text: str, flag: str = "--timeout") -> float:
    """A Go duration as ginkgo's ``--timeout`` takes it (``90m``, ``1h30m``, ``45s``)."""
    if not _GO_DURATION.match(text):
        raise UsageError(f"{flag} {text!r}: expected a duration such as 90m, 2h or 1h30m")
    seconds = sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise UsageError(f"{flag} {text!r}: must be longer than zero")
    return seconds


def check_sha256(value: str | None, package: str | None) -> str | None:
    if value is None:
        return None
    if package is None:
        raise UsageError("--test-package-sha256 needs --test-package")
    if not _SHA256.match(value.strip()):
        raise UsageError("--test-package-sha256: expected 64 hex digits")
    return value.strip().lower()


def check_mirror(url: str) -> str:
    """An http(s) base URL; plain http beyond this machine earns one warning on stderr."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--mirror {url!r}: expected an http:// or https:// URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        print(
            f"kubeadm-verify: warning: {url} is plain http; its checksums come over the same "
            "connection, so they catch corruption, not tampering",
            file=sys.stderr,
        )
    return url.rstrip("/")
