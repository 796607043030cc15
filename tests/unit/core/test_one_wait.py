"""One wait: a scan that fails when a hand-written sleep loop appears.

``kubeadm_verify.access.wait_for`` is the one way the tool waits for a condition: it bounds the
wait by time, asks an abort condition between probes and names what it waited for when it gives
up. A ``time.sleep`` elsewhere is a second wait with its own idea of a deadline (the copies this
replaced said "within 5s" after 15.5 s). What may sleep anyway is named below, with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")
ALLOWED = {
    "kubeadm_verify/access/wait.py": "the one wait itself",
    "nodechecks/checks/etcd.py": (
        "kubeadm's own etcd version retries, counted rather than timed, each attempt bounded"
    ),
    "bootstrap/kubeadmrun/kubeletunit.py": (
        "a separate program inside a node standing in for systemd's unit (poll for the kubelet's"
        " config, restart delay); it imports nothing of the tool"
    ),
}


def _sleeps(path: Path) -> list[int]:
    """Lines calling ``time.sleep`` or a ``sleep`` imported from ``time``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bare = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "time"
        and any(alias.name == "sleep" for alias in node.names)
        for node in ast.walk(tree)
    )
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "sleep":
            if isinstance(func.value, ast.Name) and func.value.id == "time":
                lines.append(node.lineno)
        elif bare and isinstance(func, ast.Name) and func.id == "sleep":
            lines.append(node.lineno)
    return lines


def test_nothing_sleeps_but_the_one_wait() -> None:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            lines = _sleeps(path)
            if lines and relative not in ALLOWED:
                found[relative] = lines
    assert not found, f"wait through kubeadm_verify.access.wait_for instead: {found}"


def test_every_allowed_module_still_sleeps() -> None:
    """An exception that no longer applies is removed, so the list stays the truth."""
    stale = [path for path in ALLOWED if not _sleeps(REPO / path)]
    assert not stale, stale


def test_the_scan_sees_both_spellings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom time import sleep\ntime.sleep(1)\nsleep(2)\n")
    assert _sleeps(sample) == [3, 4]
