"""One bring-up: a scan that fails when a second way to bring a local cluster up appears.

``bootstrap.runtime.bringup`` is the one caller of the bring-up's steps (``cluster.create``,
and through it the real nodes' staging and joining); the CLI, the fixtures, the tests and the
benches go through ``bring_up`` (or its ``start``, for the tests of ``up`` and ``down`` as
separate commands).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCANNED = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap", "tests", "bench")
STEPS = {
    ("bootstrap.runtime.cluster", "create"): "bootstrap/runtime/bringup.py",
    ("bootstrap.runtime.nodes.upnodes", "start_real_nodes"): "bootstrap/runtime/cluster.py",
    ("bootstrap.runtime.nodes.upnodes", "stage_during_init"): "bootstrap/runtime/cluster.py",
    ("bootstrap.phases", "init_phases"): "bootstrap/runtime/cluster.py",
}
"""Each step of a bring-up, and the one module that may take it."""
STEPS_ALSO_SHOWN = {
    ("bootstrap.phases", "init_phases"): {
        "kubeadm_verify/cli/phase.py": "`kubeadm-verify phase` runs one named phase alone",
    },
}


def _sources() -> Iterator[tuple[str, str]]:
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            yield str(path.relative_to(REPO)), path.read_text(encoding="utf-8")


def second_ways(sources: Iterator[tuple[str, str]]) -> list[str]:
    found = []
    for name, text in sources:
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            for alias in node.names:
                key = (node.module, alias.name)
                if key not in STEPS or STEPS[key] == name:
                    continue
                if name in STEPS_ALSO_SHOWN.get(key, {}):
                    continue
                found.append(f"{name} imports {alias.name} from {node.module}")
    return found


def test_only_the_one_bring_up_takes_its_steps() -> None:
    assert second_ways(_sources()) == []


def test_the_scan_finds_a_second_bring_up() -> None:
    planted = "from bootstrap.runtime.cluster import create\n"
    assert second_ways(iter([("kubeadm_verify/cli/up.py", planted)])) == [
        "kubeadm_verify/cli/up.py imports create from bootstrap.runtime.cluster"
    ]
