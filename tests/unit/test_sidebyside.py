"""The Standard Base's verdicts of two bring-ups in one run: the first saved waits, the second
compares, and any check judged differently (or judged on one cluster only) fails it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.integration import sidebyside


def _factory(base: Path) -> pytest.TempPathFactory:
    return cast(pytest.TempPathFactory, SimpleNamespace(getbasetemp=lambda: base))


def _checks(**verdicts: str) -> list[dict[str, Any]]:
    return [{"id": check_id, "status": status} for check_id, status in verdicts.items()]


def test_the_second_compares_and_prints_the_table(tmp_path: Path) -> None:
    config = cast(pytest.Config, SimpleNamespace())
    first = sidebyside.save_and_compare(_factory(tmp_path), config, "python", _checks(a="pass"))
    assert first is None
    shown = sidebyside.save_and_compare(_factory(tmp_path), config, "kubeadm", _checks(a="pass"))
    assert shown is not None and shown.endswith("1/1 checks with the same verdict")
    assert (tmp_path / sidebyside.FOLDER / sidebyside.TABLE).read_text().strip() == shown


def test_a_different_verdict_or_a_missing_check_fails(tmp_path: Path) -> None:
    config = cast(pytest.Config, SimpleNamespace())
    sidebyside.save_and_compare(_factory(tmp_path), config, "python", _checks(a="pass", b="pass"))
    with pytest.raises(AssertionError, match=r"\['a', 'b'\]"):
        sidebyside.save_and_compare(_factory(tmp_path), config, "kubeadm", _checks(a="skip"))


def test_xdist_workers_share_the_run_s_folder(tmp_path: Path) -> None:
    worker = cast(pytest.Config, SimpleNamespace(workerinput={"workerid": "gw1"}))
    (tmp_path / "popen-gw1").mkdir()
    sidebyside.save_and_compare(_factory(tmp_path / "popen-gw1"), worker, "python", _checks())
    assert (tmp_path / sidebyside.FOLDER / "python.json").exists()
