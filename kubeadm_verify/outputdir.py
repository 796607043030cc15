"""Check ``--output-dir`` before any work: a report that cannot be written is found out first.

A run that brings a cluster up, fetches a test package or runs for an hour must not discover at
its end that its reports have nowhere to go. The folder is created (it would be anyway) and a
probe file is written and removed in it, which is the only test that also holds for root, for
read-only mounts and for full disks.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kubeadm_verify.errors import UsageError
from kubeadm_verify.report.atomic import create_exclusive


def check_output_dir(output_dir: str, tier: str) -> Path:
    """``output_dir`` made and proven writable, with room for ``<tier>/``; else ``UsageError``."""
    path = Path(output_dir)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--output-dir {output_dir}: exists and is not a directory")
    blocker = _file_above(path)
    if blocker is not None:
        raise UsageError(f"--output-dir {output_dir}: {blocker} is a file, not a directory")
    folder = path / tier
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--output-dir {output_dir}: {folder} exists and is not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, probe = create_exclusive(folder, ".kubeadm-verify-probe-")
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(
            f"--output-dir {output_dir}: cannot write reports there ({reason})"
        ) from exc
    os.close(descriptor)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return path


def _file_above(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


__all__ = ["check_output_dir"]
