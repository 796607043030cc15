"""Packing the test tarball: upstream's layout, reproducible bytes, dl.k8s.io's checksum form."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from bootstrap.upstream.testpkg import pack, tarball_name, write_checksum


def fake_binaries(directory: Path) -> Path:
    directory.mkdir()
    (directory / "e2e.test").write_bytes(b"e2e" * 1000)
    (directory / "ginkgo").write_bytes(b"ginkgo")
    return directory


def test_layout_matches_upstream(tmp_path: Path) -> None:
    tarball = tmp_path / tarball_name("amd64")
    pack(fake_binaries(tmp_path / "bin"), tarball)
    assert tarball.name == "kubernetes-test-linux-amd64.tar.gz"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        e2e = tar.extractfile("kubernetes/test/bin/e2e.test")
        assert e2e is not None and e2e.read() == b"e2e" * 1000
        assert tar.getmember("kubernetes/test/bin/ginkgo").mode == 0o755
    assert names == [
        "kubernetes",
        "kubernetes/test",
        "kubernetes/test/bin",
        "kubernetes/test/bin/e2e.test",
        "kubernetes/test/bin/ginkgo",
    ]


def test_packing_is_reproducible(tmp_path: Path) -> None:
    source = fake_binaries(tmp_path / "bin")
    pack(source, tmp_path / "one.tar.gz")
    (source / "ginkgo").touch()  # a new mtime must not change the tarball
    pack(source, tmp_path / "two.tar.gz")
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()


def test_checksum_file_is_the_bare_lowercase_digest(tmp_path: Path) -> None:
    tarball = tmp_path / "kubernetes-test-linux-arm64.tar.gz"
    pack(fake_binaries(tmp_path / "bin"), tarball)
    checksum = write_checksum(tarball)
    assert checksum.name == "kubernetes-test-linux-arm64.tar.gz.sha256"
    assert checksum.read_text() == hashlib.sha256(tarball.read_bytes()).hexdigest()
