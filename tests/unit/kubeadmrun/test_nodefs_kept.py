"""The tool's own code and interpreter stay visible inside a kubeadm node when they live under
the directories the node gets fresh (``/tmp``, ``/run``): ``kubeadm-verify node`` runs there."""

from __future__ import annotations

import sys
from pathlib import Path

from bootstrap.kubeadmrun.nodefs import (
    MS_BIND,
    MS_RDONLY,
    MS_REMOUNT,
    kept_in_place,
    put_back,
    set_aside,
    tool_paths,
)

ROOT = Path("/srv/kubeadm-verify/abc123/n0")


def test_only_what_the_fresh_tmpfs_would_hide_is_kept_outermost_first() -> None:
    paths = [
        "/tmp/clone",
        "/tmp/clone/.venv",
        "/tmp",  # the node's /tmp itself is made fresh, never kept
        "/root/.pyenv/versions/3.11.7",
        "/run/user/0/venv",
        "/tmpfoo/code",  # beside /tmp, not under it
        "/usr",
    ]
    assert kept_in_place(paths) == ["/run/user/0/venv", "/tmp/clone"]


def test_kept_paths_are_set_aside_then_put_back_read_only_in_place() -> None:
    kept = ["/tmp/clone"]
    aside = set_aside(ROOT, kept)
    assert [(m.source, m.target, m.flags) for m in aside] == [
        ("/tmp/clone", str(ROOT / "kept" / "0"), MS_BIND)
    ]
    back = put_back(ROOT, kept)
    assert [(m.source, m.target, m.flags) for m in back] == [
        (str(ROOT / "kept" / "0"), "/tmp/clone", MS_BIND),
        ("", "/tmp/clone", MS_BIND | MS_REMOUNT | MS_RDONLY),
    ]
    assert back[0].make_target


def test_the_tool_s_paths_are_its_code_and_its_interpreter() -> None:
    found = tool_paths()
    code = str(Path(__file__).resolve().parents[3])
    assert code in found
    assert str(Path(sys.prefix).resolve()) in found
    assert str(Path(sys.base_prefix).resolve()) in found
