"""Kernel configuration files (``.config``, ``/proc/config.gz``), as system-validators reads."""

from __future__ import annotations

import gzip
import re
import zlib

from nodechecks.parsers import ParseError

_OPTION = re.compile(r"^CONFIG_[A-Z0-9_]+=[myn]")
GZIP_MAGIC = b"\x1f\x8b"


def decode_config(data: bytes, path: str) -> str:
    """The text of a kernel config; gunzipped when named ``.gz`` or starting with gzip's magic."""
    if path.endswith(".gz") or data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(path, f"not a valid gzip file: {exc}") from exc
    return data.decode("utf-8", errors="replace")


def parse_kernel_config(text: str, source: str = "kernel config") -> dict[str, str]:
    """``CONFIG_X`` → ``y``/``m``/``n`` (the first letter of the value, as upstream).

    ``# CONFIG_X is not set`` lines are comments and mean "not set". A file with no option line
    at all is not a kernel config.
    """
    options: dict[str, str] = {}
    seen_any = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("CONFIG_") or line.startswith("# CONFIG_"):
            seen_any = True
        if not _OPTION.match(line):
            continue
        name, _, value = line.partition("=")
        options[name] = value[0]
    if not seen_any:
        raise ParseError(source, "no CONFIG_ lines: not a kernel config")
    return options
