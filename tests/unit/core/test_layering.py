"""The import contracts in pyproject hold, and they would catch a forbidden import.

``lint-imports`` runs over a copy of the four packages, once as they are and once with a single
import the layering forbids added, so the test shows the contracts can fail rather than trusting
that they do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")
FORBIDDEN = {
    "kubeadm_verify/results_probe.py": "import nodechecks.run\n",
    "bootstrap/runtime/tier_probe.py": "from conformance.standard_base import needs\n",
    "nodechecks/cluster_probe.py": "import conformance.e2e.modes\n",
}


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    lint = shutil.which("lint-imports") or pytest.fail("lint-imports is not installed ('.[dev]')")
    return subprocess.run(
        [lint, "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(tree)},
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_its_contracts(tmp_path: Path) -> None:
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


@pytest.mark.parametrize("probe", sorted(FORBIDDEN))
def test_a_forbidden_import_breaks_them(tmp_path: Path, probe: str) -> None:
    tree = _copy(tmp_path)
    (tree / probe).write_text(f'"""A probe."""\n{FORBIDDEN[probe]}')
    done = _lint(tree)
    module = probe.removesuffix(".py").replace("/", ".")
    assert done.returncode != 0, f"lint-imports kept the contracts with {probe}"
    assert "BROKEN" in done.stdout and module in done.stdout, done.stdout[-3000:]


def test_the_fast_path_may_not_start_pytest(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    run = tree / "nodechecks" / "run.py"
    run.write_text(run.read_text() + "\nimport pytest  # noqa: E402\n")
    done = _lint(tree)
    assert done.returncode != 0 and "nodechecks.run" in done.stdout, done.stdout[-3000:]


def test_the_node_verb_may_not_load_another_verb(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    verb = tree / "kubeadm_verify" / "cli" / "node.py"
    verb.write_text(verb.read_text() + "\nimport kubeadm_verify.cli.cluster  # noqa: E402\n")
    done = _lint(tree)
    assert done.returncode != 0 and "kubeadm_verify.cli.node" in done.stdout, done.stdout[-3000:]
