"""Writing bootstrap artefacts whole, with their final mode from the moment they exist.

A private key must never be readable by others, not even for the instant between a write and a
chmod, and a killed run must not leave half a certificate that the next run would trust. So every
file is written to a temporary sibling created by ``mkstemp`` (mode 0600 from creation), and only
then renamed over the target.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE = 0o600
"""Keys and kubeconfigs, as kubeadm's ``keyutil.WriteKey`` and ``clientcmd.WriteToFile``."""
PUBLIC = 0o644
"""Certificates and public keys, as kubeadm's ``certutil.WriteCert``."""
DIRECTORY = 0o755


def write_file(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    """Replace ``path`` atomically with ``data``; the file never exists with a wider mode.

    ``mkstemp`` creates the file 0600; a public file is widened on the still-empty descriptor,
    before any byte is written.
    """
    path.parent.mkdir(mode=DIRECTORY, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode != PRIVATE:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_private(path: Path, data: bytes) -> None:
    """A key or a kubeconfig: owner read/write only."""
    write_file(path, data, PRIVATE)


def write_public(path: Path, data: bytes) -> None:
    """A certificate or a public key: world-readable, as kubeadm writes them."""
    write_file(path, data, PUBLIC)
