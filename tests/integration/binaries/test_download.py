"""Downloads against a real local HTTP server: only a verified file is kept and made executable."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.upstream.binaries import ensure_binaries, try_download
from bootstrap.upstream.deadline import Deadline
from bootstrap.upstream.download import MirrorUnreachable, fetch_verified
from kubeadm_verify.cli import main
from kubeadm_verify.errors import FetchError
from tests.integration.binaries.mirror import Behaviour, Mirror, Route, serving

pytestmark = pytest.mark.integration

PATH = "/release/v1.37.2/bin/linux/amd64/kubectl"
BODY = os.urandom(3 * 1024 * 1024 + 17)  # several chunks, not a multiple of the chunk size


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serving() as running:
        yield running


@pytest.fixture
def chmods(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, int]]:
    """Every chmod made through pathlib, recorded and passed on."""
    calls: list[tuple[Path, int]] = []
    original = Path.chmod

    def recording(self: Path, mode: int, *, follow_symlinks: bool = True) -> None:
        calls.append((self, mode))
        original(self, mode, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "chmod", recording)
    return calls


def fetch(mirror: Mirror, dest_dir: Path) -> Path:
    with Deadline(60) as deadline, deadline.session() as session:
        return fetch_verified(session, mirror.url + PATH, dest_dir / "kubectl", deadline)


def assert_nothing_kept(dest_dir: Path, chmods: list[tuple[Path, int]]) -> None:
    assert list(dest_dir.iterdir()) == []
    assert chmods == []


def test_a_good_file_is_kept_and_made_executable(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY, sha512=True)
    path = fetch(mirror, tmp_path)
    assert path.read_bytes() == BODY
    assert path.stat().st_mode & 0o777 == 0o755
    assert chmods == [(path, 0o755)]
    assert [p.name for p in tmp_path.iterdir()] == ["kubectl"]
    assert mirror.requested == [PATH + ".sha256", PATH + ".sha512", PATH]


def test_a_wrong_sha256_is_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY)
    mirror.routes[PATH] = Route(BODY[:-1] + b"\x00")
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_a_wrong_sha512_is_refused_even_when_sha256_matches(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY, sha512=True)
    mirror.routes[PATH + ".sha512"] = Route(b"0" * 128)
    with pytest.raises(FetchError, match="sha512 mismatch"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_a_truncated_body_is_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY)
    mirror.routes[PATH] = Route(BODY, behaviour=Behaviour.TRUNCATE)
    with pytest.raises(FetchError, match=r"broke off|truncated"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_a_connection_dropped_mid_body_is_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY)
    mirror.routes[PATH] = Route(BODY, behaviour=Behaviour.DROP)
    with pytest.raises(FetchError, match="broke off"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_a_missing_sha256_refuses_before_downloading(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.routes[PATH] = Route(BODY)
    with pytest.raises(FetchError, match=r"\.sha256: not found"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)
    assert PATH not in mirror.requested


@pytest.mark.parametrize("status", [500, 403, 404])
def test_http_errors_on_the_binary_are_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]], status: int
) -> None:
    mirror.publish(PATH, BODY)
    mirror.routes[PATH] = Route(b"oops", status=status)
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_a_500_on_the_checksum_is_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY)
    mirror.routes[PATH + ".sha256"] = Route(b"", status=500)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def test_an_uppercase_checksum_is_refused(
    mirror: Mirror, tmp_path: Path, chmods: list[tuple[Path, int]]
) -> None:
    mirror.publish(PATH, BODY)
    upper = mirror.routes[PATH + ".sha256"].body.upper()
    mirror.routes[PATH + ".sha256"] = Route(upper)
    with pytest.raises(FetchError, match="lowercase hex"):
        fetch(mirror, tmp_path)
    assert_nothing_kept(tmp_path, chmods)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a real connection refusal."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_an_unreachable_mirror_is_told_apart(tmp_path: Path) -> None:
    with (
        Deadline(60) as deadline,
        deadline.session() as session,
        pytest.raises(MirrorUnreachable, match="cannot reach"),
    ):
        fetch_verified(session, closed_port_url() + PATH, tmp_path / "kubectl", deadline)
    assert list(tmp_path.iterdir()) == []


def test_auto_falls_back_only_when_unreachable(tmp_path: Path, mirror: Mirror) -> None:
    assert try_download("v1.37.2", closed_port_url(), tmp_path, fall_back=True) is False
    with pytest.raises(MirrorUnreachable):
        try_download("v1.37.2", closed_port_url(), tmp_path, fall_back=False)
    with pytest.raises(FetchError, match="not found"):  # reachable but wrong: fatal, even in auto
        try_download("v1.37.2", mirror.url, tmp_path, fall_back=True)


needs_go = pytest.mark.skipif(
    shutil.which("go") is None, reason="download mode also builds etcd and kwok: needs go"
)


@needs_go
@pytest.mark.parametrize("breakage", ["checksum", "truncate", "missing", "500", "unreachable"])
def test_cli_download_failure_leaves_no_cache_entry(
    mirror: Mirror,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    breakage: str,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    url = closed_port_url() if breakage == "unreachable" else mirror.url
    first = "/release/v1.37.2/bin/linux/amd64/kube-apiserver"
    mirror.publish(first, BODY)
    if breakage == "checksum":
        mirror.routes[first] = Route(b"tampered")
    elif breakage == "truncate":
        mirror.routes[first] = Route(BODY, behaviour=Behaviour.TRUNCATE)
    elif breakage == "missing":
        del mirror.routes[first + ".sha256"]
    elif breakage == "500":
        mirror.routes[first] = Route(b"", status=500)
    code = main(["binaries", "--source", "download", "--mirror", url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith("kubeadm-verify: ")
    bin_root = tmp_path / "kubeadm-verify" / "bin"
    assert [p.name for p in bin_root.iterdir()] == ["v1.37.2.lock"]


@needs_go
def test_ensure_binaries_raises_fetch_error_for_a_bad_mirror(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(FetchError, match="sha256: not found"):
        ensure_binaries("1.37.2", "download", mirror.url)
    assert not (tmp_path / "kubeadm-verify" / "bin" / "v1.37.2").exists()
