"""The e2e verb's options, checked once, before anything is fetched or run.

Every mistake the command line can hold is found here and named in one line: a duration ginkgo
would not parse, a regex that does not compile, filters on the certified mode, a checksum that is
not a sha256, a mirror that is not http(s). Nothing here touches the network or the cluster.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from conformance.e2e.modes import Mode, check_filters, mode_named
from conformance.e2e.version import requested_version
from kubeadm_verify.errors import UsageError

_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_S = MappingProxyType({"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001})
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class E2ESettings:
    mode: Mode
    version: str | None
    kubeconfig: str | None
    context: str | None
    mirror: str
    test_package: Path | None
    test_package_sha256: str | None
    focus: str | None
    skip: str | None
    procs: int
    timeout: str
    timeout_s: float
    download_timeout_s: float
    dry_run: bool
    fmt: str
    output_dir: Path

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> E2ESettings:
        mode = mode_named(args.mode)
        parallel = getattr(args, "parallel", None)
        if parallel is not None and parallel < 1:
            raise UsageError(f"--parallel {parallel}: needs at least one process")
        check_filters(mode, args.focus, args.skip)
        return cls(
            mode=mode,
            version=requested_version(args.kubernetes_version) if args.kubernetes_version else None,
            kubeconfig=args.kubeconfig,
            context=args.context,
            mirror=check_mirror(args.mirror),
            test_package=Path(args.test_package) if args.test_package else None,
            test_package_sha256=check_sha256(args.test_package_sha256, args.test_package),
            focus=check_regex("--focus", args.focus),
            skip=check_regex("--skip", args.skip),
            procs=mode.procs if parallel is None else parallel,
            timeout=args.timeout or mode.timeout,
            timeout_s=duration_seconds(args.timeout or mode.timeout),
            download_timeout_s=duration_seconds(
                getattr(args, "download_timeout", None) or "30m", "--download-timeout"),
            dry_run=bool(args.dry_run),
            fmt=args.format,
            output_dir=Path(args.output_dir),
        )


def duration_seconds(text: str, flag: str = "--timeout") -> float:
    """A Go duration as ginkgo's ``--timeout`` takes it (``90m``, ``1h30m``, ``45s``)."""
    if not _GO_DURATION.match(text):
        raise UsageError(f"{flag} {text!r}: expected a duration such as 90m, 2h or 1h30m")
    seconds = sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise UsageError(f"{flag} {text!r}: must be longer than zero")
    return seconds


def check_regex(flag: str, pattern: str | None) -> str | None:
    if pattern is None or pattern == "":
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{flag} {pattern!r}: not a regular expression ({exc})") from exc
    return pattern


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
