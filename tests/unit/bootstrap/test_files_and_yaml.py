"""Atomic writes with their final mode from creation, and Go-style YAML."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bootstrap.kubeadm.files import write_private, write_public
from bootstrap.kubeadm.yamlio import dump_yaml


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave a file world-readable if the mode came from it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_private_files_are_0600_and_public_files_0644(tmp_path: Path) -> None:
    write_private(tmp_path / "deep" / "k.key", b"secret")
    write_public(tmp_path / "c.crt", b"cert")
    assert (mode(tmp_path / "deep" / "k.key"), mode(tmp_path / "c.crt")) == (0o600, 0o644)
    assert (tmp_path / "deep" / "k.key").read_bytes() == b"secret"


def test_replacing_a_file_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "admin.conf"
    write_public(target, b"old")
    write_private(target, b"new")
    assert (target.read_bytes(), mode(target)) == (b"new", 0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["admin.conf"]


def test_a_failed_write_removes_its_temporary(tmp_path: Path) -> None:
    (tmp_path / "dir-in-the-way").mkdir()
    (tmp_path / "dir-in-the-way" / "x").write_text("keep")
    with pytest.raises(OSError):
        write_private(tmp_path / "dir-in-the-way", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir-in-the-way"]


def test_yaml_is_written_as_go_writes_it() -> None:
    text = dump_yaml(
        {"b": "", "a": ["true", "0", "x"], "c": {"multi": "a\nb\n"}, "d": None, "e": {}}
    )
    assert text == (
        'a:\n- "true"\n- "0"\n- x\nb: ""\nc:\n  multi: |\n    a\n    b\nd: null\ne: {}\n'
    )
    assert yaml.safe_load(text) == {
        "b": "",
        "a": ["true", "0", "x"],
        "c": {"multi": "a\nb\n"},
        "d": None,
        "e": {},
    }
    long_value = "x" * 500 + " y"
    assert dump_yaml({"k": long_value}) == f"k: {long_value}\n"
