"""Take exactly two files out of a verified test package: ``e2e.test`` and ``ginkgo``.

The archive is judged as it is read: a member with an absolute path, a ``..`` component, a link
or a device anywhere in it means the package is not what upstream publishes, so the run stops
instead of picking the good parts out. The two binaries are then copied out by name into paths
we choose (never ``TarFile.extract``), so member metadata cannot steer where bytes land or what
permissions they get.

A checksum proves the package is the one published, not that it is harmless (a mirror we were
pointed at publishes its own checksums), so reading it has budgets: at most ``MAX_MEMBERS``
members (each costs memory while the archive is listed), and the two binaries together at most
``limit`` bytes, judged from their headers before a byte of them is written.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from conformance.e2e.fetch import disk_error
from kubeadm_verify.errors import FetchError

WANTED = MappingProxyType(
    {
        "kubernetes/test/bin/e2e.test": "e2e.test",
        "kubernetes/test/bin/ginkgo": "ginkgo",
    }
)
MAX_MEMBERS = 10_000
"""Upstream's test package holds a few hundred members; a hundred times that is not a package."""
EXPANSION_FACTOR = 8
"""The two binaries may unpack to this many times the compressed package (upstream: about 2)."""


def member_problem(member: tarfile.TarInfo) -> str | None:
    """Why a member is unacceptable in a test package, or None when it is an ordinary entry."""
    path = PurePosixPath(member.name)
    if path.is_absolute():
        return "has an absolute path"
    if ".." in path.parts:
        return "escapes the archive with '..'"
    if member.issym() or member.islnk():
        return f"is a link to {member.linkname!r}"
    if not (member.isfile() or member.isdir()):
        return "is not a regular file or directory"
    return None


def extract_binaries(
    tarball: Path, dest: Path, *, limit: int | None = None, max_members: int = MAX_MEMBERS
) -> dict[str, str]:
    """Write ``dest/e2e.test`` and ``dest/ginkgo`` (mode 0755); return name → member path.

    ``limit`` caps the two binaries' total size (default: ``EXPANSION_FACTOR`` times the size
    of ``tarball``)."""
    cap = limit if limit is not None else EXPANSION_FACTOR * tarball.stat().st_size
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            chosen = _choose(tar, cap, max_members)
            for member_name, member in chosen.items():
                _copy_member(tar, member, dest / WANTED[member_name])
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise FetchError(f"the test package is not a readable .tar.gz: {exc}") from exc
    return {WANTED[name]: name for name in chosen}


def _choose(tar: tarfile.TarFile, cap: int, max_members: int) -> dict[str, tarfile.TarInfo]:
    """Validate every member, then pick the wanted ones; each must appear exactly once."""
    chosen: dict[str, tarfile.TarInfo] = {}
    for count, member in enumerate(tar, start=1):
        if count > max_members:
            raise FetchError(
                f"the test package has more than {max_members} members; refusing to read further"
            )
        problem = member_problem(member)
        if problem is not None:
            raise FetchError(f"the test package is unsafe: member {member.name!r} {problem}")
        name = PurePosixPath(member.name).as_posix()
        if name in WANTED and member.isfile():
            if name in chosen:
                raise FetchError(f"the test package holds {name} more than once")
            chosen[name] = member
            _check_size(chosen, cap)
    missing = sorted(set(WANTED) - set(chosen))
    if missing:
        raise FetchError(f"the test package has no {', '.join(missing)}")
    return chosen


def _check_size(chosen: dict[str, tarfile.TarInfo], cap: int) -> None:
    total = sum(member.size for member in chosen.values())
    if total > cap:
        raise FetchError(
            f"the test package's binaries would unpack to {total} bytes, more than "
            f"the {cap} allowed ({EXPANSION_FACTOR}x the package); refusing"
        )


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    if source is None:  # unreachable after _choose, but never write what we could not read
        raise FetchError(f"cannot read {member.name} from the test package")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
        with source, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except OSError as exc:
        raise disk_error(exc, f"extracting {target.name}") from exc
    target.chmod(0o755)
