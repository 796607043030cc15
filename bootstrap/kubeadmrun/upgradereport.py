"""``kubeadm-verify upgrade``'s report: one result per step of the upgrade, one for the
version-skew policy held after every step (``versionskew``), and one for the workload that had
to keep answering through it.

Steps are named by the node's role and place (``control-plane-1``, ``worker-2``), not by its
generated name, so a pipeline compares the same ids from run to run; each message names the
node. A failed step is a ``fail`` saying what kubeadm (or kubectl) said; the steps after it were
not run and are not listed. The workload's result fails on any request that went unanswered,
from the pod or from outside, names each (what was asked, what happened, the step then
running) and gives the counts and the longest gap in its details.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bootstrap.kubeadmrun import keepanswering, versionskew
from bootstrap.kubeadmrun.upgrade import (
    Step,
    StepFailed,
    UpgradeOptions,
    upgrade_kubeadm_cluster,
)
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes import record as nodes_record
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import StateDir
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport

TIER = "upgrade"
UNANSWERED_SHOWN = 5
"""Unanswered requests named in a result, a probe's first ones: enough to place them."""
Log = Callable[[str], None]


@dataclass(frozen=True)
class Span:
    """When one step of the upgrade ran, on ``time.monotonic()``'s clock."""

    began: float
    ended: float
    step: str


def role_names(entries: list[NodeEntry]) -> dict[str, str]:
    """``{node name: control-plane-N or worker-N}``, numbered in the order the nodes joined."""
    names: dict[str, str] = {"cluster": "cluster"}
    counts = {True: 0, False: 0}
    for entry in sorted(entries, key=lambda e: e.index):
        counts[entry.control_plane] += 1
        role = "control-plane" if entry.control_plane else "worker"
        names[entry.name] = f"{role}-{counts[entry.control_plane]}"
    return names


def step_result(step: Step, names: dict[str, str]) -> CheckResult:
    role = names.get(step.node, step.node)
    where = "" if step.node == "cluster" else f" on {step.node}"
    return CheckResult(
        id=f"{TIER}/{role}/{step.name.replace(' ', '-')}",
        status=Status.FAIL if step.failure else Status.PASS,
        severity=Severity.ERROR,
        message=(
            f"{step.name}{where} failed after {step.seconds:.1f}s: {step.failure}"
            if step.failure
            else f"{step.name}{where} in {step.seconds:.1f}s"
        ),
        duration_s=step.seconds,
        details={"node": step.node, "step": step.name},
    )


def run_upgrade(
    state_dir: Path,
    to_version: str,
    kubeadm: Path | None,
    workload: bool,
    log: Log,
    options: UpgradeOptions | None = None,
) -> TierReport:
    root = state_dir.absolute()
    state = StateDir(root, root.name)
    found = nodes_record.load(state)
    if found is None:
        raise UsageError(f"{root} holds no nodes")
    names = role_names(found.nodes)
    workers = [e for e in found.nodes if not e.control_plane]
    first = next((e for e in sorted(found.nodes, key=lambda e: e.index) if e.control_plane), None)
    started, clock = datetime.now(UTC), time.monotonic()
    results: list[CheckResult] = []
    watched: list[keepanswering.Workload] = []
    spans: list[Span] = []
    readings: list[versionskew.Reading] = []
    unread: list[str] = []

    def on_step(step: Step) -> None:
        results.append(step_result(step, names))
        ended = time.monotonic()
        spans.append(Span(ended - step.seconds, ended, f"{step.node}: {step.name}"))
        if not step.failure:
            _read_versions(
                state, f"{names.get(step.node, step.node)} {step.name}", readings, unread
            )

    def deploy() -> None:
        assert first is not None
        with ApiClient.from_kubeconfig(state) as client:
            addresses = [e.address for e in found.nodes]
            placed = keepanswering.deploy(client, [w.name for w in workers], first.name, addresses)
        keepanswering.start_outside(placed, addresses)
        watched.append(placed)

    why_not = _why_no_workload(workload, workers)
    try:
        upgrade_kubeadm_cluster(
            root,
            to_version,
            kubeadm,
            log,
            on_step,
            deploy if not why_not else None,
            options,
        )
    except StepFailed as failed:
        log(f"[upgrade] {failed}")
    finally:
        if readings or unread:
            results.append(skew_result(readings, unread))
        results.append(_workload_result(state, watched, why_not, spans))
    return TierReport(TIER, started, time.monotonic() - clock, tuple(results))


def _read_versions(
    state: StateDir, after: str, readings: list[versionskew.Reading], unread: list[str]
) -> None:
    try:
        with ApiClient.from_kubeconfig(state) as client:
            readings.append(versionskew.sample(client, after))
    except (ApiError, BootstrapError, KeyError, TypeError):  # away, or an answer cut short
        unread.append(after)


def skew_result(readings: list[versionskew.Reading], unread: list[str]) -> CheckResult:
    """Fails naming each breach of the version-skew policy seen after a step; warns when some
    steps could not be read (nothing is said of those); passes only when every step was."""
    check = f"{TIER}/cluster/version-skew"
    found = [said for reading in readings for said in versionskew.breaches(reading)]
    details = {"read_after": [r.after for r in readings], "not_read_after": unread}
    if found:
        return CheckResult(
            check, Status.FAIL, Severity.ERROR, message="; ".join(found), details=details
        )
    seen = f"within the version-skew policy after each of {len(readings)} steps"
    if unread:
        return CheckResult(
            check,
            Status.WARN,
            Severity.ERROR,
            message=f"{seen}; cannot determine after {', '.join(unread)}: the API did not answer",
            details=details,
        )
    return CheckResult(check, Status.PASS, Severity.ERROR, message=seen, details=details)


def _why_no_workload(wanted: bool, workers: list[NodeEntry]) -> str:
    if not wanted:
        return "not asked for (--no-workload)"
    if len(workers) < 2:
        return f"the cluster has {len(workers)} worker(s); the workload spreads over two"
    return ""


def during(at: float, spans: list[Span]) -> str:
    """The step that was running at ``at``, or that had just ended: what to look at first
    when a request there went unanswered."""
    running = [span for span in spans if span.began <= at <= span.ended]
    if running:
        return running[-1].step
    before = [span for span in spans if span.ended < at]
    return f"after {before[-1].step}" if before else "before the first step"


def unanswered(counted: keepanswering.Counted, spans: list[Span]) -> list[dict[str, str]]:
    return [
        {"asked": asked, "during": during(at, spans)}
        for at, asked in counted.unanswered[:UNANSWERED_SHOWN]
    ]


def _workload_result(
    state: StateDir, watched: list[keepanswering.Workload], why_not: str, spans: list[Span]
) -> CheckResult:
    check = f"{TIER}/workload/kept-answering"
    if why_not:
        return CheckResult(check, Status.SKIP, Severity.ERROR, message=why_not)
    if not watched:
        return CheckResult(
            check, Status.SKIP, Severity.ERROR, message="the upgrade ended before it was deployed"
        )
    try:
        with ApiClient.from_kubeconfig(state) as client:
            inside, outside = keepanswering.answered(client, watched[0])
            keepanswering.remove(client)
    except (BootstrapError, ApiError) as error:
        return CheckResult(check, Status.ERROR, Severity.ERROR, message=str(error))
    finally:
        if watched[0].outside is not None:
            watched[0].outside.stop()
    said = "; ".join(
        (inside.describe("through the Service from a pod"), outside.describe("through a NodePort"))
    )
    failed = inside.failed + outside.failed
    none_made = not inside.made or not outside.made
    missed = unanswered(inside, spans) + unanswered(outside, spans)
    if missed:
        said += "; unanswered: " + ", ".join(f"{m['asked']} during {m['during']}" for m in missed)
    return CheckResult(
        check,
        Status.FAIL if failed or none_made else Status.PASS,
        Severity.ERROR,
        message=("a probe made no request: " if none_made else "") + said,
        details={
            "from_pod": {
                "made": inside.made,
                "failed": inside.failed,
                "longest_gap_s": round(inside.longest_gap_s, 2),
            },
            "from_outside": {
                "made": outside.made,
                "failed": outside.failed,
                "longest_gap_s": round(outside.longest_gap_s, 2),
            },
            "unanswered": missed,
        },
    )
