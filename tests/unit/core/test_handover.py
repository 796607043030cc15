"""Settings go into a pytest tier as an object (also to xdist workers), and the preflight phase
runs the node checks it is handed, or says it ran none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.kubeadm.config import load_config
from bootstrap.phases.preflight import node_settings, preflight
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from kubeadm_verify.runner import collect, run_tier
from kubeadm_verify.settings import ClusterSettings, NodeSettings

SUITE = """
import os

import pytest

from kubeadm_verify.runner import ID_PROPERTY, settings_of
from kubeadm_verify.settings import ClusterSettings


@pytest.mark.parametrize("n", range(4))
def test_reads_the_settings(request, record_property, n):
    with open(os.environ["KV_HANDOVER_RAN"], "a") as ran:
        ran.write("ran")
    settings = settings_of(request.config, ClusterSettings)
    assert settings is not None, "no settings handed over"
    record_property(ID_PROPERTY, f"{settings.run_id}/{settings.focus}/{n}")
"""


@pytest.fixture
def tier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    package = tmp_path / "kv_handover_tier"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "test_handover.py").write_text(textwrap.dedent(SUITE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    monkeypatch.setenv("KV_HANDOVER_RAN", str(tmp_path / "ran"))
    yield "kv_handover_tier"
    for name in [m for m in sys.modules if m.startswith("kv_handover_tier")]:
        del sys.modules[name]


HANDOVER = """
import json, sys
from kubeadm_verify.runner import run_tier
from kubeadm_verify.settings import ClusterSettings
workers = sys.argv[2:]
report = run_tier("cluster", sys.argv[1], ClusterSettings(focus="^x/", run_id="0101000000-beef"),
                  args=["-q", *workers], plugins=("xdist.plugin",) if workers else ())
print(json.dumps([[r.id, r.status.value] for r in report.results]))
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_the_settings_object_reaches_every_test(tier: str, workers: list[str]) -> None:
    """Run in a fresh interpreter, as the CLI runs it: xdist's own plugin, loaded by this outer
    session, would otherwise share the process with the run's workers' controller."""
    done = subprocess.run(
        [sys.executable, "-c", HANDOVER, tier, *workers],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(i for i, _ in results) == [f"0101000000-beef/^x//{n}" for n in range(4)]
    assert {status for _, status in results} == {"pass"}


def test_without_settings_the_tier_is_told_so(tier: str) -> None:
    report = run_tier("cluster", tier, args=["-q"])
    assert {r.status for r in report.results} == {Status.FAIL}
    assert "no settings handed over" in report.results[0].message


def test_collect_runs_nothing(tier: str, tmp_path: Path) -> None:
    items = collect("cluster", tier, ClusterSettings())
    assert [item.name for item in items] == [f"test_reads_the_settings[{n}]" for n in range(4)]
    assert not (tmp_path / "ran").exists()


def _report(*results: CheckResult) -> TierReport:
    from datetime import UTC, datetime

    return TierReport("node", datetime.now(UTC), 0.0, results)


def test_preflight_hands_its_settings_to_the_callable_and_judges_the_report(tmp_path: Path) -> None:
    config = load_config(None).config
    seen: list[NodeSettings] = []
    lines: list[str] = []

    def check_node(settings: NodeSettings) -> TierReport:
        seen.append(settings)
        return _report(
            CheckResult("Mem", Status.WARN, Severity.WARNING, "small"),
            CheckResult("Port-6443", Status.FAIL, Severity.ERROR, "Port 6443 is in use"),
        )

    with pytest.raises(BootstrapError, match=r"\[ERROR Port-6443\]: Port 6443 is in use"):
        preflight(config, None, lines.append, check_node=check_node)  # type: ignore[arg-type]
    assert seen == [node_settings(config)]
    assert seen[0].role == "control-plane" and "numcpu" in seen[0].ignored
    assert "\t[WARNING Mem]: small" in lines


def test_preflight_without_a_callable_says_it_ran_nothing() -> None:
    lines: list[str] = []
    preflight(load_config(None).config, None, lines.append)  # type: ignore[arg-type]
    assert lines == ["[preflight] Skipped: no node checks were handed over to this run"]


def test_the_node_tier_in_pytest_judges_the_object_it_is_handed(tmp_path: Path) -> None:
    from nodechecks.run import run

    settings = NodeSettings(root=str(tmp_path), role="worker", ignored=frozenset({"mem"}))
    direct = run(settings)
    handed = run_tier(
        "node",
        "nodechecks",
        settings,
        args=["-q", "-p", "no:cacheprovider"],
        plugins=("nodechecks.plugin",),
    )

    def said(report: TierReport) -> dict[str, tuple[Status, str]]:
        return {r.id: (r.status, r.message) for r in report.results}

    assert said(handed) == said(direct)
    assert said(handed)["Mem"][0] is Status.SKIP  # the role came with the object
