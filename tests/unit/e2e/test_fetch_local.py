"""A local --test-package: refused without a checksum, copied and verified byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance.e2e.fetch import (
    Advance,
    PackageSource,
    compare,
    fetch_package,
    local_checksums,
)
from kubeadm_verify.errors import FetchError, InputError

DATA = b"pretend this is a tarball" * 1000


def no_progress(name: str, size: int | None) -> Advance:
    return lambda n: None


def package(tmp_path: Path, sha256: str | None = None, sha512: str | None = None) -> Path:
    path = tmp_path / "kubernetes-test-linux-amd64.tar.gz"
    path.write_bytes(DATA)
    if sha256 is not None:
        path.with_name(path.name + ".sha256").write_text(sha256)
    if sha512 is not None:
        path.with_name(path.name + ".sha512").write_text(sha512 + "\n")
    return path


def test_refused_without_any_checksum(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no checksum"):
        local_checksums(package(tmp_path), None)
    with pytest.raises(InputError, match="no such file"):
        local_checksums(tmp_path / "absent.tar.gz", "a" * 64)


def test_sibling_files_and_the_flag(tmp_path: Path) -> None:
    sha256 = hashlib.sha256(DATA).hexdigest()
    sha512 = hashlib.sha512(DATA).hexdigest()
    path = package(tmp_path, sha256, sha512)
    assert local_checksums(path, None) == {"sha256": sha256, "sha512": sha512}
    assert local_checksums(path, sha256)["sha256"] == sha256
    with pytest.raises(FetchError, match="disagrees"):
        local_checksums(path, "0" * 64)


def test_a_malformed_checksum_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="lowercase hex"):
        local_checksums(package(tmp_path, "not-a-digest"), None)


def test_copy_is_verified(tmp_path: Path) -> None:
    path = package(tmp_path, hashlib.sha256(DATA).hexdigest())
    source = PackageSource.local("v1.37.2", "amd64", path, None)
    seen: list[int] = []
    dest = tmp_path / "copy"

    def start(name: str, size: int | None) -> Advance:
        assert (name, size) == (path.name, len(DATA))
        return seen.append

    fetch_package(source, dest, start)
    assert dest.read_bytes() == DATA
    assert sum(seen) == len(DATA)
    assert dest.stat().st_mode & 0o777 == 0o600


def test_wrong_flag_digest_fails_after_copying(tmp_path: Path) -> None:
    path = package(tmp_path)
    source = PackageSource.local("v1.37.2", "amd64", path, "b" * 64)
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch_package(source, tmp_path / "copy", no_progress)


def test_compare_checks_every_published_digest() -> None:
    got = {"sha256": "a" * 64, "sha512": "b" * 128}
    compare("x", {"sha256": "a" * 64}, got)
    with pytest.raises(FetchError, match="sha512 mismatch"):
        compare("x", {"sha256": "a" * 64, "sha512": "c" * 128}, got)
