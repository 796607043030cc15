"""One kubeconfig file for a tool that takes a single path (``e2e.test``, a pytest session).

The resolved target may be several files merged, an exec plugin beside relative paths, or the
in-cluster configuration; the tool gets one file that says the same: the chosen context, its
cluster and user, made current, every path absolute. It holds credentials, so it is written
0600 into a private (0700) temporary directory that is removed when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from kubeadm_verify.access.kubeconfig import Target, check_context, merged, only_context


@contextlib.contextmanager
def single_kubeconfig(target: Target, prefix: str = "kubeadm-verify-") -> Iterator[Path]:
    """The target as one private file, for as long as the block runs."""
    data = merged(target)
    context = check_context(data, target)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        path = Path(folder) / "kubeconfig"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump(only_context(data, context), handle)
        yield path


__all__ = ["single_kubeconfig"]
