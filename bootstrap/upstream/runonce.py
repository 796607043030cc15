"""Running a built program once to check it: argv in, no stdin, output captured, a deadline.

The binaries, the node parts, the sample API server and kubeadm's image list are all checked
this way before anything is cached or used; a program that cannot start or does not finish is
one ``BootstrapError`` naming what was being done.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from kubeadm_verify.errors import BootstrapError


def run_once(argv: Sequence[str], timeout: float, doing: str) -> subprocess.CompletedProcess[str]:
    """``argv`` run to its end within ``timeout`` s; ``doing`` heads the error if it cannot be."""
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BootstrapError(f"{doing}: {exc}") from exc


__all__ = ["run_once"]
