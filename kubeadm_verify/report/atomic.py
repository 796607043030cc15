"""Reports are replaced whole, so a reader (or a killed run) never sees half a file.

The temporary file is made the way ``tempfile.mkstemp`` makes one (exclusively, mode 0600, a
name nobody can guess), without importing ``tempfile`` and the ``random`` module behind it:
``kubeadm-verify node`` writes its reports in a process that is timed against kubeadm's own
preflight.
"""

from __future__ import annotations

import os
from pathlib import Path

_ATTEMPTS = 100


def create_exclusive(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new file ``folder/<prefix><random>`` opened for writing, and its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_ATTEMPTS):
        path = folder / f"{prefix}{os.urandom(6).hex()}"
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {folder} after {_ATTEMPTS} attempts")


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = create_exclusive(path.parent, f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
