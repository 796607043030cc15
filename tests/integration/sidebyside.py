"""The Standard Base's verdicts on two bring-ups' clusters, side by side, in one run of the suite.

The suite already runs the whole Standard Base on a cluster our Python phases made
(``nodes/test_standard_base_real.py``) and on one the real kubeadm made
(``kubeadmrun/test_kubeadm_cluster.py``); neither cluster is brought up twice for the
comparison. Each of the two tests saves its verdicts (check id -> status) in a folder the whole
run shares, then compares with the other's if it is there: whichever ends second finds the
first's (each saves before it looks), so when both run, at least one of them compares, fails on
any check id whose verdicts differ or that only one cluster was judged on, and prints the table.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

FOLDER = "standard-base-verdicts"
TABLE = "side-by-side.txt"


def _folder(factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    base = factory.getbasetemp()
    if hasattr(config, "workerinput"):  # an xdist worker's basetemp is one folder of the run's
        base = base.parent
    folder = base / FOLDER
    folder.mkdir(exist_ok=True)
    return folder


def table(names: tuple[str, str], left: dict[str, str], right: dict[str, str]) -> str:
    """One line per check id: its verdict on each cluster, and whether they agree."""
    width = max((len(i) for i in (*left, *right)), default=10)
    lines = [f"{'check':<{width}}  {names[0]:<10} {names[1]:<10}"]
    for check_id in sorted(set(left) | set(right)):
        a, b = left.get(check_id, "-"), right.get(check_id, "-")
        mark = "" if a == b else "  <- differs"
        lines.append(f"{check_id:<{width}}  {a:<10} {b:<10}{mark}")
    same = sum(1 for i in set(left) & set(right) if left[i] == right[i])
    lines.append(f"{same}/{len(set(left) | set(right))} checks with the same verdict")
    return "\n".join(lines)


def save_and_compare(
    factory: pytest.TempPathFactory,
    config: pytest.Config,
    bring_up: str,
    checks: list[dict[str, Any]],
) -> str | None:
    """Save this bring-up's verdicts; with another's saved in this run, assert they agree
    check by check and return the table (printed too); else None."""
    folder = _folder(factory, config)
    mine = {str(c["id"]): str(c["status"]) for c in checks}
    partial = folder / f".{bring_up}.{os.getpid()}.partial"
    partial.write_text(json.dumps(mine, indent=1, sort_keys=True))
    os.replace(partial, folder / f"{bring_up}.json")
    others = sorted(p for p in folder.glob("*.json") if p.stem != bring_up)
    if not others:
        return None
    other = others[0]
    theirs: dict[str, str] = json.loads(other.read_text())
    shown = table((other.stem, bring_up), theirs, mine)
    (folder / TABLE).write_text(shown + "\n")
    print(f"\nStandard Base, side by side:\n{shown}", file=sys.stderr)
    differ = sorted(i for i in set(mine) | set(theirs) if mine.get(i) != theirs.get(i))
    assert not differ, f"verdicts differ between {other.stem} and {bring_up}: {differ}\n{shown}"
    return shown
