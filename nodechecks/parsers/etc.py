"""Files under ``/etc``: os-release, resolv.conf, hosts, machine-id."""

from __future__ import annotations

import re
import shlex

from nodechecks.parsers import ParseError


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines with shell quoting, comments and blank lines ignored."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.match(r"^[A-Z][A-Z0-9_]*$", key):
            raise ParseError("os-release", "a line is not KEY=value")
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ParseError("os-release", "a value has unbalanced quotes") from exc
        fields[key] = " ".join(words)
    return fields


def parse_resolv_conf(text: str) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order."""
    servers = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            servers.append(parts[1])
    return servers


def hosts_names(text: str) -> dict[str, list[str]]:
    """``/etc/hosts``: each name (lower-cased) → the addresses it is given."""
    names: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) < 2:
            continue
        for name in parts[1:]:
            names.setdefault(name.lower(), []).append(parts[0])
    return names


_MACHINE_ID = re.compile(r"^[0-9a-f]{32}$")


def parse_machine_id(text: str) -> str:
    """``/etc/machine-id``: 32 lower-case hex digits; ``uninitialized`` and blanks are not ids."""
    value = text.strip()
    if not _MACHINE_ID.match(value):
        raise ParseError("machine-id", f"not 32 lower-case hex digits ({len(value)} characters)")
    return value
