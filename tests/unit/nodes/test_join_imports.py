"""The join steps and the lifecycle import each other's needs at module level: what both hand
out (``Node``, ``pod_subnet_of``) lives in ``nodes.node``, so no import hides in a function to
dodge a cycle, and ``Target`` means one thing in the project (``access.Target``)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

NODES = Path(__file__).resolve().parents[3] / "bootstrap" / "runtime" / "nodes"


def _function_imports(path: Path) -> list[str]:
    found = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module:
                    found.append(f"{function.name}: {node.module}")
    return found


def test_joining_and_lifecycle_import_at_module_level() -> None:
    assert _function_imports(NODES / "lifecycle.py") == []
    assert _function_imports(NODES / "joining.py") == []


def test_they_share_one_node_type_and_target_is_gone() -> None:
    joining = importlib.import_module("bootstrap.runtime.nodes.joining")
    lifecycle = importlib.import_module("bootstrap.runtime.nodes.lifecycle")
    assert joining.Node is lifecycle.Node
    assert joining.pod_subnet_of is lifecycle.pod_subnet_of
    assert not hasattr(lifecycle, "Target")
    assert lifecycle.pod_subnet_of({"networking": {"podSubnet": "10.1.0.0/16"}}) == "10.1.0.0/16"
    assert lifecycle.pod_subnet_of({}) == ""
