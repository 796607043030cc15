"""SIGTERM handled as SIGINT, and credentials' temporary copies kept where we remove them.

CI cancels a job with SIGTERM; Python's default for it is to die on the spot, skipping every
``finally`` that deletes namespaces, stops processes and writes the reports. While a verb runs,
SIGTERM therefore raises ``KeyboardInterrupt``, the path Ctrl-C takes; a second SIGTERM during
the clean-up is ignored so the clean-up can finish.

The kubernetes client writes a kubeconfig's inline client key and certificates to files made by
``tempfile.mkstemp`` and deletes them only at interpreter exit. A run gets its own 0700 temporary
directory, which those copies (and pytest's and e2e.test's temporary files) land in; it is removed
when the run ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the block runs, the first SIGTERM raises ``KeyboardInterrupt``; later ones wait."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def private_tempdir(prefix: str = "kubeadm-verify-") -> Iterator[Path]:
    """A 0700 directory that is the process's (and its children's) temporary directory."""
    folder = tempfile.mkdtemp(prefix=prefix)
    saved_dir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = folder
    try:
        yield Path(folder)
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        _forget_client_copies(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _forget_client_copies(folder: str) -> None:
    """Drop the kubernetes client's memory of copies that are about to be deleted with
    ``folder``: it reuses a copy by content, and a later run in this process must not be handed
    a path that no longer exists."""
    module = sys.modules.get("kubernetes.config.kube_config")
    copies = getattr(module, "_temp_files", None)
    if not isinstance(copies, dict):
        return
    prefix = folder.rstrip(os.sep) + os.sep
    for key in [k for k, path in copies.items() if str(path).startswith(prefix)]:
        del copies[key]


__all__ = ["private_tempdir", "sigterm_interrupts"]
