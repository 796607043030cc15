"""The ``Host`` every probe reads through: a file system root, and the live system behind it.

With the root ``/`` the live kernel may answer (psutil, pyroute2, ``os``); under any other root
only files below it are read, and absolute symlinks are resolved inside it, so checking a host
mounted at ``/host`` never consults the machine the tool runs on.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Sequence
from pathlib import PurePosixPath

EXECUTABLE_DIRS = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin")
MAX_SYMLINKS = 40


class HostPathError(OSError):
    """A path escapes the root or loops; treated like any unreadable file."""


class Host:
    def __init__(self, root: str = "/") -> None:
        self.root = os.path.realpath(root)

    @property
    def is_live(self) -> bool:
        """True when the root is this machine's own ``/``, so the live kernel may be asked."""
        return self.root == "/"

    def path(self, path: str) -> str:
        """The real path of the host path ``path``, its links resolved inside the root."""
        parts = [p for p in PurePosixPath("/", path).parts[1:] if p not in ("", ".")]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = os.path.join(self.root, *resolved, part)
            if os.path.islink(candidate):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise HostPathError(f"too many levels of symbolic links in {path}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in PurePosixPath(target).parts if p not in ("/", "", ".")] + parts
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def read_bytes(self, path: str) -> bytes:
        with open(self.path(path), "rb") as handle:
            return handle.read()

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        try:
            return os.path.lexists(self.path(path))
        except HostPathError:
            return False

    def is_file(self, path: str) -> bool:
        try:
            return os.path.isfile(self.path(path))
        except HostPathError:
            return False

    def is_dir(self, path: str) -> bool:
        try:
            return os.path.isdir(self.path(path))
        except HostPathError:
            return False

    def statvfs(self, path: str) -> os.statvfs_result:
        return os.statvfs(self.path(path))

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(self.path(path)))

    def which(self, name: str) -> str | None:
        """Find an executable as ``exec.LookPath`` would, in the usual PATH dirs of the root."""
        for directory in EXECUTABLE_DIRS:
            candidate = f"/{directory}/{name}"
            try:
                info = os.stat(self.path(candidate))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
                return candidate
        return None

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
        """Run a program on the live host only; a mounted root is read, never executed."""
        if not self.is_live:
            raise HostPathError("programs are not run under a host root other than /")
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
