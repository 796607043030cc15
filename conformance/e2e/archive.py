"""Take exactly two files out of a verified test package: ``e2e.test`` and ``ginkgo``.

The archive is judged whole before anything is written: a member with an absolute path, a
``..`` component, a link or a device anywhere in it means the package is not what upstream
publishes, so the run stops instead of picking the good parts out. The two binaries are then
copied out by name into paths we choose (never ``TarFile.extract``), so member metadata cannot
steer where bytes land or what permissions they get.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from kubeadm_verify.errors import FetchError

WANTED = MappingProxyType({
    "kubernetes/test/bin/e2e.test": "e2e.test",
    "kubernetes/test/bin/ginkgo": "ginkgo",
})


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


def extract_binaries(tarball: Path, dest: Path) -> dict[str, str]:
    """Write ``dest/e2e.test`` and ``dest/ginkgo`` (mode 0755); return name → member path."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            chosen = _choose(tar.getmembers())
            for member_name, member in chosen.items():
                _copy_member(tar, member, dest / WANTED[member_name])
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise FetchError(f"the test package is not a readable .tar.gz: {exc}") from exc
    return {WANTED[name]: name for name in chosen}


def _choose(members: list[tarfile.TarInfo]) -> dict[str, tarfile.TarInfo]:
    """Validate every member, then pick the wanted ones; each must appear exactly once."""
    chosen: dict[str, tarfile.TarInfo] = {}
    for member in members:
        problem = member_problem(member)
        if problem is not None:
            raise FetchError(f"the test package is unsafe: member {member.name!r} {problem}")
        name = PurePosixPath(member.name).as_posix()
        if name in WANTED and member.isfile():
            if name in chosen:
                raise FetchError(f"the test package holds {name} more than once")
            chosen[name] = member
    missing = sorted(set(WANTED) - set(chosen))
    if missing:
        raise FetchError(f"the test package has no {', '.join(missing)}")
    return chosen


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    if source is None:  # unreachable after _choose, but never write what we could not read
        raise FetchError(f"cannot read {member.name} from the test package")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with source, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    target.chmod(0o755)
