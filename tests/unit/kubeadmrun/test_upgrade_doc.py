"""docs/upgrading.md is the rendering of the code and of a recorded run whose steps are the ones
the code runs."""

from __future__ import annotations

import json
from pathlib import Path

from bootstrap.kubeadmrun.upgradedoc import RECORDED, REGENERATE, planned_ids, render

REPO = Path(__file__).resolve().parents[3]
DOCUMENT = REPO / "docs" / "upgrading.md"


def recorded() -> dict[str, object]:
    data: dict[str, object] = json.loads((REPO / RECORDED).read_text(encoding="utf-8"))
    return data


def test_the_recorded_run_ran_the_steps_the_code_runs_and_every_one_passed() -> None:
    run = recorded()
    checks = run["checks"]
    assert isinstance(checks, list)
    assert [c["id"] for c in checks] == planned_ids(control_planes=1, workers=2)
    assert {c["status"] for c in checks} == {"pass"}, [c for c in checks if c["status"] != "pass"]


def test_the_document_is_the_rendering_of_the_code_and_the_run() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(recorded()), (
        f"docs/upgrading.md and the code disagree: regenerate it with `{REGENERATE}`"
    )
