"""Reports are replaced whole, so a reader (or a killed run) never sees half a file.

The temporary file is made the way ``tempfile.mkstemp`` makes one (exclusively, mode 0600, a
name nobody can guess), without importing ``tempfile`` and the ``random`` module behind it:
``kubeadm-verify node`` writes its reports in a process that is timed against kubeadm's own
preflight. Paths are plain strings here (``os.path``), for the same reason: ``pathlib`` brings
``urllib.parse`` and ``fnmatch`` with it.
"""

from __future__ import annotations

import os

_ATTEMPTS = 100


def create_exclusive(folder: str | os.PathLike[str], prefix: str) -> tuple[int, str]:
    """A new file ``folder/<prefix><random>`` opened for writing, and its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_ATTEMPTS):
        path = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {folder} after {_ATTEMPTS} attempts")


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    folder, name = os.path.split(os.fspath(path))
    fd, tmp = create_exclusive(folder or ".", f".{name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
