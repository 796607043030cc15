"""A cache directory that is either complete and verified, or absent.

A directory counts only when its ``manifest.json`` exists and every file it names still has the
recorded size and sha256: the manifest is written last and atomically, so a crash mid-build
leaves a directory without one. Producers fill a temporary directory beside the final one and
rename it into place under an ``fcntl`` lock, so two concurrent runs never both build and never
see half a cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubeadm_verify import stderr

MANIFEST = "manifest.json"
_HASH_WORKERS = 4


@dataclass(frozen=True)
class FileRecord:
    """What a cached file must still be: its size (a cheap first check) and its sha256."""

    sha256: str
    size: int
    origin: str


@dataclass(frozen=True)
class Manifest:
    """The record that makes a cache directory complete."""

    version: str
    source: str
    files: Mapping[str, FileRecord]

    def to_json(self) -> str:
        files = {name: vars(record) for name, record in sorted(self.files.items())}
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"version": self.version, "source": self.source, "created": created, "files": files}
        return json.dumps(body, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse strictly: a manifest we cannot fully understand makes the directory incomplete."""
        data: Any = json.loads(text)
        files = {
            str(name): FileRecord(str(rec["sha256"]), int(rec["size"]), str(rec["origin"]))
            for name, rec in data["files"].items()
        }
        return cls(str(data["version"]), str(data["source"]), files)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file; hashlib releases the GIL, so several can run in threads."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def record_files(directory: Path, origins: Mapping[str, str]) -> dict[str, FileRecord]:
    """Hash the named files of a freshly produced directory for its manifest."""
    names = sorted(origins)
    with ThreadPoolExecutor(_HASH_WORKERS) as pool:
        digests = list(pool.map(lambda name: sha256_file(directory / name), names))
    return {
        name: FileRecord(digest, (directory / name).stat().st_size, origins[name])
        for name, digest in zip(names, digests, strict=True)
    }


def problem(directory: Path, required: Sequence[str]) -> str | None:
    """Why ``directory`` is not a complete cache entry, or None when it is.

    Sizes are compared for every file before any hashing, so a truncated file is found at once.
    """
    try:
        manifest = Manifest.from_json((directory / MANIFEST).read_text())
    except FileNotFoundError:
        return "no manifest"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"unreadable manifest: {exc}"
    missing = sorted(set(required) - set(manifest.files))
    if missing:
        return f"manifest lacks {', '.join(missing)}"
    for name, record in manifest.files.items():
        try:
            size = (directory / name).stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != record.size:
            return f"{name} has {size} bytes, the manifest records {record.size}"
    names = sorted(manifest.files)
    with ThreadPoolExecutor(_HASH_WORKERS) as pool:
        digests = list(pool.map(lambda name: sha256_file(directory / name), names))
    for name, digest in zip(names, digests, strict=True):
        if digest != manifest.files[name].sha256:
            return f"{name} does not match its recorded sha256"
    return None


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write the manifest through a temporary file and a rename: it exists whole or not at all."""
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=directory)
    os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(manifest.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, directory / MANIFEST)


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, waiting: str) -> Iterator[None]:
    """Hold an ``flock`` on ``lock_path``; say once on stderr when another run holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stderr.line(waiting)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A temporary directory beside ``final`` (same filesystem, so a rename publishes it).

    Removed on the way out whatever happens; after a successful publish it no longer exists.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide the published binaries from other users
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_staging(final: Path) -> None:
    """Remove staging dirs that killed runs left beside ``final``.

    Only the holder of the lock creates them, so while we hold it any that exist are orphans.
    """
    for orphan in final.parent.glob(f".{final.name}.*"):
        if orphan.is_dir():
            shutil.rmtree(orphan, ignore_errors=True)


def publish(tmp: Path, final: Path) -> None:
    """Move a complete staging directory into place, replacing a stale or broken one."""
    if final.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{final.name}.stale.", dir=final.parent))
        os.replace(final, trash / final.name)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(tmp, final)


Producer = Callable[[Path], tuple[str, dict[str, str]]]
"""Fills a staging directory; returns the manifest's source and each file's origin."""


def ensure_populated(final: Path, version: str, required: Sequence[str], produce: Producer) -> Path:
    """Return ``final`` once complete, producing it at most once across concurrent runs."""
    if problem(final, required) is None:
        return final
    lock = final.parent / f"{final.name}.lock"
    with exclusive_lock(lock, f"[binaries] waiting for another run to finish {final}"):
        if problem(final, required) is None:  # another run finished it while we waited
            return final
        remove_stale_staging(final)
        with staging_dir(final) as tmp:
            source, origins = produce(tmp)
            write_manifest(tmp, Manifest(version, source, record_files(tmp, origins)))
            publish(tmp, final)
    return final
