"""What a run makes of the suite's outcome: failures, incomplete runs, interrupts, dry runs.

The fake ``ginkgo``/``e2e.test`` pair is fetched, verified and run through the real CLI; what
they print and write decides the exit status, the reports and the submission folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.e2e.conftest import REPO, VERSION, Workspace
from tests.integration.e2e.fakes import (
    DNS_SPEC,
    OTHER_SPEC,
    POD_SPEC,
    SKIPPING_SPEC,
    Scenario,
    Spec,
    build_tarball,
    sha256_hex,
)
from tests.integration.e2e.mirror import Mirror, publish

pytestmark = pytest.mark.integration


def served(workspace: Workspace, mirror: Mirror, scenario: Scenario) -> list[str]:
    tarball = build_tarball(scenario, workspace.marker)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball))
    return [
        "--mirror",
        mirror.url,
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(workspace.kubeconfig),
    ]


def local_package(workspace: Workspace, scenario: Scenario, name: str) -> Path:
    folder = workspace.root / name
    folder.mkdir()
    path = folder / "kubernetes-test-linux-amd64.tar.gz"
    path.write_bytes(build_tarball(scenario, workspace.marker))
    return path


def statuses(workspace: Workspace) -> dict[str, str]:
    return {check["id"]: check["status"] for check in workspace.results()["checks"]}


def test_a_failed_spec_fails_the_run_and_keeps_the_evidence(
    workspace: Workspace, mirror: Mirror
) -> None:
    scenario = Scenario(
        specs=(
            Spec(POD_SPEC),
            Spec(DNS_SPEC, "failed", "no DNS answer"),
            Spec(SKIPPING_SPEC, "self-skipped", "needs a GPU"),
            Spec(OTHER_SPEC, "not-selected"),
        )
    )
    done = workspace.run(*served(workspace, mirror, scenario))
    assert done.returncode == 1, done.stderr
    assert statuses(workspace) == {POD_SPEC: "pass", DNS_SPEC: "fail", SKIPPING_SPEC: "skip"}
    failed = next(c for c in workspace.results()["checks"] if c["id"] == DNS_SPEC)
    assert failed["message"] == "[FAILED] no DNS answer"
    assert failed["conformance"] == [DNS_SPEC]
    assert f"FAIL  {DNS_SPEC}" in done.stdout
    submission = workspace.output / "e2e" / "v1.37" / "kubeadm"
    assert sorted(p.name for p in submission.iterdir()) == [
        "PRODUCT.yaml",
        "README.md",
        "e2e.log",
        "junit_01.xml",
    ]
    assert "Ran 2 of 4 Specs" in (submission / "e2e.log").read_text()
    junit = (workspace.output / "e2e" / "junit.xml").read_text()
    assert junit.count("<testcase ") == 3 and "<failure" in junit


def test_a_run_that_died_midway_is_a_failure(workspace: Workspace, mirror: Mirror) -> None:
    done = workspace.run(*served(workspace, mirror, Scenario(stop_early=True)))
    assert done.returncode == 1, done.stderr
    checks = workspace.results()["checks"]
    assert [c["id"] for c in checks] == ["e2e/completeness"]
    reasons = checks[0]["details"]["reasons"]
    assert "junit_01.xml was not written" in reasons
    assert any("never reached its end" in r for r in reasons)
    assert "ginkgo exited with status 137 although no spec failed" in reasons  # 128 + SIGKILL


def test_a_nonzero_exit_without_failures_is_a_failure(workspace: Workspace, mirror: Mirror) -> None:
    done = workspace.run(*served(workspace, mirror, Scenario(exit_code=2)))
    assert done.returncode == 1
    assert statuses(workspace)["e2e/completeness"] == "fail"


def test_a_stale_junit_from_an_earlier_run_is_never_read(
    workspace: Workspace, mirror: Mirror
) -> None:
    assert workspace.run(*served(workspace, mirror, Scenario())).returncode == 0
    died = local_package(workspace, Scenario(stop_early=True), "second")
    done = workspace.run(
        "--test-package",
        str(died),
        "--test-package-sha256",
        sha256_hex(died.read_bytes()),
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(workspace.kubeconfig),
    )
    assert done.returncode == 1, done.stderr
    assert statuses(workspace) == {"e2e/completeness": "fail"}


def test_json_format_prints_the_report(workspace: Workspace, mirror: Mirror) -> None:
    done = workspace.run(*served(workspace, mirror, Scenario()), "--format", "json")
    assert done.returncode == 0
    body = json.loads(done.stdout)
    assert body["tier"] == "e2e" and body["summary"]["pass"] == 2


def test_standard_base_resolves_names_and_runs_them_in_parallel(
    workspace: Workspace, mirror: Mirror
) -> None:
    old_order_pod = POD_SPEC.replace(
        "[Conformance] [NodeConformance]", "[NodeConformance] [Conformance]"
    )
    scenario = Scenario(listing=(old_order_pod, DNS_SPEC, OTHER_SPEC))
    args = served(workspace, mirror, scenario)
    done = workspace.run(*args, "--mode", "standard-base", "--parallel", "3")
    assert done.returncode == 0, done.stderr
    ginkgo = next(line for line in workspace.ran() if line.startswith("ginkgo "))
    assert "--procs=3" in ginkgo
    assert r"\[NodeConformance\] \[Conformance\]" in ginkgo  # the name this binary lists
    assert statuses(workspace)["e2e/standard-base"] == "warn"  # the rest of the list is absent


def test_dry_run_lists_without_running_or_reporting(workspace: Workspace, mirror: Mirror) -> None:
    done = workspace.run(
        *served(workspace, mirror, Scenario()), "--mode", "conformance", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [POD_SPEC, DNS_SPEC]
    assert "2 specs would run (conformance, v1.37.2" in done.stderr
    assert [line.split()[:2] for line in workspace.ran()] == [["e2e.test", "--list-tests"]]
    assert not (workspace.output / "e2e" / "results.json").exists()


def test_local_package_needs_a_checksum(workspace: Workspace) -> None:
    package = local_package(workspace, Scenario(), "pkg")
    args = [
        "--test-package",
        str(package),
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(workspace.kubeconfig),
    ]
    refused = workspace.run(*args)
    assert refused.returncode == 2
    assert "no checksum" in refused.stderr and workspace.ran() == []
    assert statuses(workspace) == {"e2e/start": "error"}
    package.with_name(package.name + ".sha256").write_text(sha256_hex(package.read_bytes()))
    package.with_name(package.name + ".sha512").write_text(
        hashlib.sha512(package.read_bytes()).hexdigest()
    )
    assert workspace.run(*args).returncode == 0
    assert workspace.cache_entries()[0].startswith("local-")


def test_interrupt_stops_ginkgo_cleanly_and_exits_130(workspace: Workspace, mirror: Mirror) -> None:
    args = served(workspace, mirror, Scenario(hang=True))
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(workspace.cache),
        "PYTHONPATH": str(REPO),
        "HOME": str(workspace.root / "home"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "e2e",
            "--output-dir",
            str(workspace.output),
            *args,
        ],
        env=env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while "hanging" not in workspace.ran():  # the suite is running and its trap is set
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    assert "interrupted" in workspace.ran(), "ginkgo's group never got SIGINT to clean up"
    assert statuses(workspace) == {"e2e/completeness": "fail"}
    message = workspace.results()["checks"][0]["message"]
    assert "the run was interrupted" in message
