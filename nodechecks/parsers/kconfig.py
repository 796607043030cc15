"""Kernel configuration files (``.config``, ``/proc/config.gz``), as system-validators reads."""

from __future__ import annotations

import re
import zlib

from nodechecks.parsers import ParseError

_OPTIONS = re.compile(r"^[^\S\n]*(CONFIG_[A-Z0-9_]+)=([myn])", re.MULTILINE)
_ANY_OPTION = re.compile(r"^[^\S\n]*(?:# )?CONFIG_", re.MULTILINE)
GZIP_MAGIC = b"\x1f\x8b"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A kernel config is ~250 kB; more than this after gunzip is not one (or a gzip bomb)."""


def decode_config(data: bytes, path: str) -> str:
    """The text of a kernel config; gunzipped when named ``.gz`` or starting with gzip's magic."""
    if path.endswith(".gz") or data.startswith(GZIP_MAGIC):
        data = _gunzip(data, path)
    return data.decode("utf-8", errors="replace")


def _gunzip(data: bytes, path: str) -> bytes:
    """Decompress at most ``MAX_CONFIG_BYTES``: the output is bounded, not just the input."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        text = inflater.decompress(data, MAX_CONFIG_BYTES + 1)
    except zlib.error as exc:
        raise ParseError(path, "not a valid gzip file") from exc
    if len(text) > MAX_CONFIG_BYTES:
        raise ParseError(path, f"more than {MAX_CONFIG_BYTES} bytes once decompressed")
    return text


def parse_kernel_config(text: str, source: str = "kernel config") -> dict[str, str]:
    """``CONFIG_X`` → ``y``/``m``/``n`` (the first letter of the value, as upstream).

    ``# CONFIG_X is not set`` lines are comments and mean "not set". A file with no option line
    at all is not a kernel config. One pass of a multi-line pattern over the whole text: a
    config has ~10,000 lines, and a loop over them in Python was most of a node run's time.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ANY_OPTION.search(text) is None:
        raise ParseError(source, "no CONFIG_ lines: not a kernel config")
    return dict(_OPTIONS.findall(text))
