"""Check ``--output-dir`` before any work: a report that cannot be written is found out first.

A run that brings a cluster up, fetches a test package or runs for an hour must not discover at
its end that its reports have nowhere to go. The folder is created (it would be anyway) and a
probe file is written and removed in it, which is the only test that also holds for root, for
read-only mounts and for full disks.
"""

from __future__ import annotations

import contextlib
import os

from kubeadm_verify.errors import UsageError
from kubeadm_verify.report.atomic import create_exclusive


def check_output_dir(output_dir: str, tier: str) -> str:
    """``output_dir`` made and proven writable, with room for ``<tier>/``; else ``UsageError``."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise UsageError(f"--output-dir {output_dir}: exists and is not a directory")
    blocker = _file_above(output_dir)
    if blocker is not None:
        raise UsageError(f"--output-dir {output_dir}: {blocker} is a file, not a directory")
    folder = os.path.join(output_dir, tier)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--output-dir {output_dir}: {folder} exists and is not a directory")
    try:
        os.makedirs(folder, exist_ok=True)
        descriptor, probe = create_exclusive(folder, ".kubeadm-verify-probe-")
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(
            f"--output-dir {output_dir}: cannot write reports there ({reason})"
        ) from exc
    os.close(descriptor)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return output_dir


def _file_above(path: str) -> str | None:
    """The nearest existing ancestor of ``path`` when it is not a directory."""
    current = os.path.abspath(path)
    parent = os.path.dirname(current)
    while parent != current:
        if os.path.exists(parent):
            return None if os.path.isdir(parent) else parent
        current, parent = parent, os.path.dirname(parent)
    return None


__all__ = ["check_output_dir"]
