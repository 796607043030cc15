"""A cache directory is complete only with a manifest whose every file still matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.upstream import cache as bincache
from bootstrap.upstream.cache import Manifest

NAMES = ("alpha", "beta")


def make_entry(directory: Path) -> Manifest:
    directory.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (directory / name).write_bytes(name.encode() * 1000)
    records = bincache.record_files(directory, dict.fromkeys(NAMES, "build"))
    manifest = Manifest("v1.37.2", "build", records)
    bincache.write_manifest(directory, manifest)
    return manifest


def test_a_fresh_entry_is_complete(tmp_path: Path) -> None:
    manifest = make_entry(tmp_path)
    assert bincache.problem(tmp_path, NAMES) is None
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["version"] == "v1.37.2" and data["source"] == "build"
    assert data["files"]["alpha"]["sha256"] == bincache.sha256_file(tmp_path / "alpha")
    assert data["files"]["alpha"]["size"] == 5000
    assert Manifest.from_json((tmp_path / "manifest.json").read_text()) == manifest


def test_the_manifest_is_written_without_leftovers(tmp_path: Path) -> None:
    make_entry(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alpha", "beta", "manifest.json"]


def test_no_manifest_means_incomplete(tmp_path: Path) -> None:
    make_entry(tmp_path)
    (tmp_path / "manifest.json").unlink()
    assert bincache.problem(tmp_path, NAMES) == "no manifest"


def test_a_missing_directory_is_incomplete(tmp_path: Path) -> None:
    assert bincache.problem(tmp_path / "absent", NAMES) == "no manifest"


def test_a_truncated_file_is_found_by_size(tmp_path: Path) -> None:
    make_entry(tmp_path)
    (tmp_path / "beta").write_bytes(b"beta")
    assert bincache.problem(tmp_path, NAMES) == "beta has 4 bytes, the manifest records 4000"


def test_same_size_other_content_is_found_by_hash(tmp_path: Path) -> None:
    make_entry(tmp_path)
    (tmp_path / "alpha").write_bytes(b"x" * 5000)
    assert bincache.problem(tmp_path, NAMES) == "alpha does not match its recorded sha256"


def test_a_deleted_file_is_found(tmp_path: Path) -> None:
    make_entry(tmp_path)
    (tmp_path / "alpha").unlink()
    assert bincache.problem(tmp_path, NAMES) == "alpha is missing"


def test_a_manifest_that_lacks_a_required_file_is_incomplete(tmp_path: Path) -> None:
    make_entry(tmp_path)
    assert bincache.problem(tmp_path, (*NAMES, "gamma")) == "manifest lacks gamma"


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"version": "v1"}', '{"version": "v", "source": "s", "files": {"a": {}}}'],
)
def test_an_unreadable_manifest_is_incomplete(tmp_path: Path, text: str) -> None:
    make_entry(tmp_path)
    (tmp_path / "manifest.json").write_text(text)
    found = bincache.problem(tmp_path, NAMES)
    assert found is not None and found.startswith("unreadable manifest")


def test_publish_replaces_a_broken_entry(tmp_path: Path) -> None:
    final = tmp_path / "v1.37.2"
    final.mkdir()
    (final / "junk").write_text("half a build")
    with bincache.staging_dir(final) as tmp:
        make_entry(tmp)
        bincache.publish(tmp, final)
    assert bincache.problem(final, NAMES) is None
    assert not (final / "junk").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1.37.2"]


def test_ensure_populated_produces_once(tmp_path: Path) -> None:
    calls: list[Path] = []

    def produce(tmp: Path) -> tuple[str, dict[str, str]]:
        calls.append(tmp)
        for name in NAMES:
            (tmp / name).write_text(name)
        return "download", dict.fromkeys(NAMES, "download")

    final = tmp_path / "bin" / "v1.37.2"
    assert bincache.ensure_populated(final, "v1.37.2", NAMES, produce) == final
    assert bincache.ensure_populated(final, "v1.37.2", NAMES, produce) == final
    assert len(calls) == 1 and calls[0].parent == final.parent and not calls[0].exists()
    assert Manifest.from_json((final / "manifest.json").read_text()).source == "download"


def test_a_failed_producer_leaves_nothing_behind(tmp_path: Path) -> None:
    def produce(tmp: Path) -> tuple[str, dict[str, str]]:
        (tmp / "alpha").write_text("partial")
        raise RuntimeError("build broke")

    final = tmp_path / "bin" / "v1.37.2"
    with pytest.raises(RuntimeError, match="build broke"):
        bincache.ensure_populated(final, "v1.37.2", NAMES, produce)
    assert [p.name for p in final.parent.iterdir()] == ["v1.37.2.lock"]


def test_staging_left_by_a_killed_run_is_removed(tmp_path: Path) -> None:
    final = tmp_path / "bin" / "v1.37.2"
    orphan = final.parent / ".v1.37.2.k1ll3d"
    orphan.mkdir(parents=True)
    (orphan / "kube-apiserver").write_bytes(b"half")
    (final.parent / ".v1.37.20.keep").mkdir()  # another version's: not ours to remove

    def produce(tmp: Path) -> tuple[str, dict[str, str]]:
        for name in NAMES:
            (tmp / name).write_text(name)
        return "build", dict.fromkeys(NAMES, "build")

    bincache.ensure_populated(final, "v1.37.2", NAMES, produce)
    assert sorted(p.name for p in final.parent.iterdir()) == [
        ".v1.37.20.keep",
        "v1.37.2",
        "v1.37.2.lock",
    ]
