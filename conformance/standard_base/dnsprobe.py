"""Name lookups from inside a pod, and what they answered: a script in, parsed answers out.

Every name is asked as an absolute name (a trailing dot), so the answer depends on the cluster's
DNS alone, not on how busybox's ``nslookup`` applies (or ignores) the pod's search list. Each
lookup's output is fenced by markers, and only the addresses after the answer's ``Name:`` line
count: the lines before it name the DNS server, whose address must not pass for an answer.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Sequence

MARK = "==kv-lookup=="


def absolute(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def script(names: Sequence[str]) -> str:
    """A ``sh -c`` script asking for each name, each output after a marker line naming it."""
    steps = [
        f"echo '{MARK} {absolute(name)}'; nslookup {shlex.quote(absolute(name))} 2>&1"
        for name in names
    ]
    return "; ".join(steps)


def _address(line: str) -> str | None:
    """The IP on an answer's ``Address:`` line (``Address: ip`` or ``Address 1: ip name``)."""
    for token in line.split(":", 1)[-1].split():
        try:
            return str(ipaddress.ip_address(token))
        except ValueError:
            continue
    return None


def answers(output: str) -> dict[str, list[str]]:
    """``{name: addresses}`` from the script's log; a lookup with no answer maps to ``[]``.

    The exit status is not trusted either way: busybox's ``nslookup`` asks for A and AAAA, and
    whether one empty answer fails the command differs between its versions.
    """
    found: dict[str, list[str]] = {}
    name, answered = "", False
    for line in output.splitlines():
        if line.startswith(MARK):
            name, answered = line.split()[-1], False
            found[name] = []
            continue
        if line.startswith("Name:"):
            answered = True
        elif answered and name and line.startswith("Address"):
            address = _address(line)
            if address is not None:
                found[name].append(address)
    return found
