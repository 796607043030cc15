"""What a run of ``kubeadm-verify e2e --mode standard-base`` must show, wherever it ran: every
spec of the mode passed, exit 0, and the progress line ending at all of them, none failed."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from conformance.e2e.modes import STANDARD_BASE


def assert_every_spec_passed(
    done: subprocess.CompletedProcess[str], checks: list[dict[str, Any]], where: str
) -> None:
    not_passed = {c["id"]: c["message"][:300] for c in checks if c["status"] != "pass"}
    assert not not_passed, f"specs that did not pass on {where}: {not_passed}"
    assert done.returncode == 0, done.stderr[-3000:]
    assert {c["id"] for c in checks} == set(STANDARD_BASE)
    total = len(STANDARD_BASE)
    lines = re.findall(r"(\d+)/(\d+) (\d+) failed", done.stdout + done.stderr)
    assert lines, "no progress line was drawn"
    assert lines[-1] == (str(total), str(total), "0"), f"the progress ended at {lines[-1]}"
