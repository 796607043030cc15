"""The ``Host`` every probe reads through: a file system root, and the live system behind it.

With the root ``/`` the live kernel may answer (psutil, pyroute2, ``os``); under any other root
only files below it are read, and absolute symlinks are resolved inside it, so checking a host
mounted at ``/host`` never consults the machine the tool runs on.

Reads are bounded: only regular files are opened (a FIFO would block, a device such as
``/dev/zero`` would never end), they are opened non-blocking and read up to a cap. Whatever is
refused raises ``UnreadableHostFile``, which a check reports as "cannot determine".
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from kubeadm_verify.filekind import file_kind

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import subprocess

EXECUTABLE_DIRS = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin")
MAX_SYMLINKS = 40
MAX_READ_BYTES = 8 * 1024 * 1024
"""Larger than any /proc, /sys or /etc file a check reads (a busy host's socket table included)."""
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


class HostPathError(OSError):
    """A path escapes the root or loops; treated like any unreadable file."""


class UnreadableHostFile(OSError):
    """A host file that is not read: not a regular file, or larger than the cap.

    Its message names the path and the reason only, never any of the file's content.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.host_path = path
        self.reason = reason


def _components(path: str) -> list[str]:
    """The names in ``path``, without empty and ``.`` ones (``..`` is kept, for the caller).

    Plain string work: this runs for every path a check touches. It also never yields a root
    such as the ``//`` that pathlib keeps at the start of ``//etc``, which would make the joined
    path absolute and leave the host root."""
    return [part for part in path.split("/") if part not in ("", ".")]


class Host:
    def __init__(self, root: str = "/", search_path: str | None = None) -> None:
        self.root = os.path.realpath(root)
        self._search_path = search_path

    @property
    def is_live(self) -> bool:
        """True when the root is this machine's own ``/``, so the live kernel may be asked."""
        return self.root == "/"

    def path(self, path: str) -> str:
        """The real path of the host path ``path``, its links resolved inside the root.

        On the live host the root is the kernel's own ``/``, where it resolves every link the
        same way, so the path is handed over as it is (normalised) rather than walked here one
        ``lstat`` per component: the node tier touches about eighty paths a run."""
        parts = _components(path)
        if self.is_live:
            return "/" + "/".join(parts)
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
                parts = _components(target) + parts
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def read_bytes(self, path: str, limit: int = MAX_READ_BYTES, *, head: bool = False) -> bytes:
        """A regular file of at most ``limit`` bytes (with ``head``, its first ``limit`` bytes);
        anything else is refused, unopened."""
        real = self.path(path)
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableHostFile(path, f"{file_kind(info.st_mode)}, not a regular file")
        fd = os.open(real, _OPEN_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped after the stat above
                raise UnreadableHostFile(path, "not a regular file")
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        if size > limit and head:
            return b"".join(chunks)[:limit]
        if size > limit:
            raise UnreadableHostFile(path, f"larger than {limit} bytes")
        return b"".join(chunks)

    def read_text(self, path: str, limit: int = MAX_READ_BYTES) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        try:
            return os.path.exists(self.path(path))  # a dangling link is not there, as for stat
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

    def stat(self, path: str) -> os.stat_result:
        return os.stat(self.path(path))

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(self.path(path)))

    def search_dirs(self) -> list[str]:
        """Where executables are looked up: ``$PATH`` on the live host, as kubeadm's
        ``exec.LookPath`` (which refuses relative entries); under a root, the root's standard bin
        dirs (its PATH is not known)."""
        if not self.is_live:
            return [f"/{d}" for d in EXECUTABLE_DIRS]
        value = os.environ.get("PATH", "") if self._search_path is None else self._search_path
        return [d for d in value.split(os.pathsep) if d.startswith("/")]

    def which(self, name: str) -> str | None:
        """The first regular file with an execute bit named ``name`` in ``search_dirs``."""
        for directory in self.search_dirs():
            candidate = os.path.join(directory, name)
            try:
                info = os.stat(self.path(candidate) if not self.is_live else candidate)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
                return candidate
        return None

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
        """Run a program on the live host only; a mounted root is read, never executed."""
        if not self.is_live:
            raise HostPathError("programs are not run under a host root other than /")
        import subprocess  # only a live host with the program installed pays for the module

        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
