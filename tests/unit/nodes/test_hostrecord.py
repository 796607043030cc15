"""The machine-wide record: the first user notes what was absent, the last removes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.nodes import hostrecord


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    existing, created = tmp_path / "existing", tmp_path / "created"
    existing.mkdir()
    monkeypatch.setattr(hostrecord, "HOST_PATHS", (str(existing), str(created)))
    monkeypatch.setattr(hostrecord, "KUBELET_SYSCTLS", ())
    return existing, created


def test_last_user_removes_only_what_was_absent(paths: tuple[Path, Path]) -> None:
    existing, created = paths
    hostrecord.acquire("one")
    created.mkdir()
    (created / "file").write_text("x")
    hostrecord.acquire("two")
    assert hostrecord.release("one") == []
    assert created.exists(), "another cluster still has nodes"
    assert hostrecord.release("two") == []
    assert not created.exists()
    assert existing.exists()
    assert not hostrecord.record_path().exists()


def test_a_later_user_does_not_re_record(paths: tuple[Path, Path]) -> None:
    _, created = paths
    hostrecord.acquire("one")
    created.mkdir()
    hostrecord.acquire("two")  # sees `created` present, but the first record stands
    hostrecord.release("two")
    hostrecord.release("one")
    assert not created.exists()


def test_release_without_acquire_is_harmless(paths: tuple[Path, Path]) -> None:
    assert hostrecord.release("nobody") == []
