"""Exit statuses are ``ExitStatus``: what every verb's ``run`` and ``main`` return, and what the
console entry exits with; no number is written out in the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kubeadm_verify.cli import main
from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.options import VERB_NAMES

CLI = Path(__file__).resolve().parents[3] / "kubeadm_verify" / "cli"
pytestmark = pytest.mark.timeout(60)  # each test: a command line read, or --help run


def test_main_answers_with_an_exit_status() -> None:
    assert main(["node", "--list"]) is ExitStatus.OK
    assert main(["up", "--nodes", "x"]) is ExitStatus.CANNOT_START


def test_the_cli_has_no_loose_exit_numbers() -> None:
    """Every verb's ``run`` and ``main`` answer with ``ExitStatus``: no function in the CLI is
    annotated ``-> int``, returns a number literal, or wraps its answer in ``int()``."""
    loose = []
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for function in functions:
            returns = getattr(function.returns, "id", None)
            if returns == "int":
                loose.append(f"{path.name}:{function.lineno} {function.name} -> int")
            if returns != "ExitStatus":
                continue
            returned = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
            for node in returned:
                value = node.value
                if isinstance(value, ast.Constant) and type(value.value) is int:
                    loose.append(f"{path.name}:{node.lineno} return {value.value}")
                if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "int":
                    loose.append(f"{path.name}:{node.lineno} return int(...)")
    assert loose == []
    for verb in VERB_NAMES:
        source = (CLI / f"{verb}.py").read_text(encoding="utf-8")
        assert "def run(args: argparse.Namespace) -> ExitStatus:" in source, verb
