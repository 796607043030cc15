"""What specs an ``e2e.test`` holds, from its own ``--list-tests`` output.

Names drift between releases, so a curated selection is checked against the binary that will run
it rather than trusted. ``--list-tests`` needs no cluster: the framework prints the list and exits
before it reads a kubeconfig. Its output is a header line, then one spec per line as
``<file>:<line>: <full spec text>``, sorted by text.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kubeadm_verify.errors import FetchError

HEADER = "The following spec names can be used with 'ginkgo run --focus/skip':"
_ENTRY = re.compile(r"^\s+\S+?:\d+: (?P<name>\S.*?)\s*$")
LIST_TIMEOUT_S = 120.0


def parse_list_tests(output: str) -> tuple[str, ...]:
    """The spec names in ``--list-tests`` output; a missing header means it did not list."""
    lines = output.splitlines()
    try:
        start = lines.index(HEADER) + 1
    except ValueError:
        raise ValueError("no spec list in the output of e2e.test --list-tests") from None
    names = []
    for line in lines[start:]:
        match = _ENTRY.match(line)
        if match is not None:
            names.append(match.group("name"))
    return tuple(names)


def list_tests(e2e_test: Path) -> tuple[str, ...]:
    """Run ``e2e.test --list-tests`` and parse it; failure to list is a broken package."""
    try:
        done = subprocess.run(
            [str(e2e_test), "--list-tests"],
            capture_output=True,
            text=True,
            timeout=LIST_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"{e2e_test} --list-tests could not run: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise FetchError(f"{e2e_test} --list-tests exited {done.returncode}: {tail[0]}")
    try:
        return parse_list_tests(done.stdout)
    except ValueError as exc:
        raise FetchError(f"{e2e_test}: {exc}") from exc
