"""Only e2e.test and ginkgo come out, and only from an archive with no unsafe member at all."""

from __future__ import annotations

import io
import stat
import tarfile
from pathlib import Path

import pytest

from conformance.e2e.archive import extract_binaries, member_problem
from kubeadm_verify.errors import FetchError

E2E = "kubernetes/test/bin/e2e.test"
GINKGO = "kubernetes/test/bin/ginkgo"


def info(
    name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = ""
) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.size, member.linkname = kind, size, link
    return member


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members:
            member.size = len(data) if member.isfile() else 0
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def good_members() -> list[tuple[tarfile.TarInfo, bytes]]:
    return [
        (info("kubernetes/test/bin", tarfile.DIRTYPE), b""),
        (info(f"./{E2E}"), b"#!/bin/sh\necho e2e\n"),
        (info(GINKGO), b"#!/bin/sh\necho ginkgo\n"),
        (info("kubernetes/test/bin/go-runner"), b"not wanted"),
    ]


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (info("/etc/passwd"), "absolute path"),
        (info("kubernetes/../../evil"), "'..'"),
        (info("../evil"), "'..'"),
        (info("kubernetes/test/bin/e2e.test", tarfile.SYMTYPE, link="/bin/sh"), "link"),
        (info("kubernetes/x", tarfile.LNKTYPE, link="kubernetes/y"), "link"),
        (info("kubernetes/dev", tarfile.CHRTYPE), "not a regular file"),
        (info("kubernetes/fifo", tarfile.FIFOTYPE), "not a regular file"),
    ],
)
def test_unsafe_members_are_named(member: tarfile.TarInfo, problem: str) -> None:
    assert problem in (member_problem(member) or "")


def test_ordinary_members_are_fine() -> None:
    assert member_problem(info(E2E)) is None
    assert member_problem(info("kubernetes/test", tarfile.DIRTYPE)) is None


def test_extracts_exactly_the_two_binaries_executable(tmp_path: Path) -> None:
    tarball = write_tar(tmp_path / "pkg.tar.gz", good_members())
    dest = tmp_path / "out"
    dest.mkdir()
    assert extract_binaries(tarball, dest) == {"e2e.test": E2E, "ginkgo": GINKGO}
    assert sorted(p.name for p in dest.iterdir()) == ["e2e.test", "ginkgo"]
    assert (dest / "e2e.test").read_bytes() == b"#!/bin/sh\necho e2e\n"
    assert stat.S_IMODE((dest / "ginkgo").stat().st_mode) == 0o755


@pytest.mark.parametrize(
    "bad",
    [
        info("kubernetes/../../escaped.txt"),
        info("/tmp/absolute.txt"),
        info("kubernetes/test/bin/link", tarfile.SYMTYPE, link="../../../../etc/passwd"),
    ],
)
def test_one_unsafe_member_rejects_the_archive_before_writing(
    tmp_path: Path, bad: tarfile.TarInfo
) -> None:
    tarball = write_tar(tmp_path / "pkg.tar.gz", [*good_members(), (bad, b"x")])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(FetchError, match="unsafe"):
        extract_binaries(tarball, dest)
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists()


def test_a_symlinked_binary_is_refused(tmp_path: Path) -> None:
    members = [(info(E2E, tarfile.SYMTYPE, link="/bin/sh"), b""), (info(GINKGO), b"g")]
    with pytest.raises(FetchError, match="link"):
        extract_binaries(write_tar(tmp_path / "p.tar.gz", members), tmp_path)


def test_missing_and_duplicate_binaries_are_refused(tmp_path: Path) -> None:
    only_e2e = write_tar(tmp_path / "a.tar.gz", [(info(E2E), b"e")])
    with pytest.raises(FetchError, match="no kubernetes/test/bin/ginkgo"):
        extract_binaries(only_e2e, tmp_path)
    twice = write_tar(
        tmp_path / "b.tar.gz",
        [(info(E2E), b"e"), (info(GINKGO), b"g"), (info(f"./{E2E}"), b"other")],
    )
    with pytest.raises(FetchError, match="more than once"):
        extract_binaries(twice, tmp_path)


def test_not_a_gzip_tarball(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not gzip")
    with pytest.raises(FetchError, match="not a readable"):
        extract_binaries(junk, tmp_path)


def test_binaries_larger_than_the_cap_are_refused_before_a_byte_is_written(tmp_path: Path) -> None:
    tarball = write_tar(tmp_path / "bomb.tar.gz", [(info(GINKGO), b"g"), (info(E2E), bytes(4096))])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(FetchError, match="would unpack to 4097 bytes, more than the 4000"):
        extract_binaries(tarball, dest, limit=4000)
    assert list(dest.iterdir()) == []


def test_the_default_cap_is_a_multiple_of_the_package(tmp_path: Path) -> None:
    tarball = write_tar(
        tmp_path / "zeros.tar.gz", [(info(GINKGO), b"g"), (info(E2E), bytes(1 << 20))]
    )
    assert tarball.stat().st_size * 8 < 1 << 20
    with pytest.raises(FetchError, match="8x the package"):
        extract_binaries(tarball, tmp_path)


def test_too_many_members_stop_the_listing(tmp_path: Path) -> None:
    members = good_members() + [
        (info(f"kubernetes/x/{n}", tarfile.DIRTYPE), b"") for n in range(20)
    ]
    tarball = write_tar(tmp_path / "many.tar.gz", members)
    with pytest.raises(FetchError, match="more than 10 members"):
        extract_binaries(tarball, tmp_path, max_members=10)
