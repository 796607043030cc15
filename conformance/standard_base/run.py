"""The Standard Base run: the suite in-process against a checked cluster, then the clean-up.

``run(settings)`` takes the one ``ClusterSettings`` the CLI built: its resolved target is
connected to and checked (reached, authenticated, allowed to create namespaces) once, through
``kubeadm_verify.access``, and handed to the suite as the same object (the fixtures read it from
the session's stash), once its API server says it is ready (``apiready``: one failure, and no
test run, when it does not within a bound). With ``up`` a local cluster comes up first and goes
down last. After the run, anything the run left behind is removed and reported as a warning;
``cleanup`` does the same for every earlier run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from conformance.standard_base import apiready
from conformance.standard_base.cleanup import Removed, cleanup
from conformance.standard_base.kube import Kube
from conformance.standard_base.listing import PACKAGE, PLUGINS
from kubeadm_verify import access
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from kubeadm_verify.runner import run_tier
from kubeadm_verify.settings import ClusterSettings

TIER = "cluster"
XDIST = ("xdist.plugin",)
LEFTOVER_WAIT_S = 30.0
UP_SIMULATED_NODES = 2
"""``cluster --up``'s cluster: two kwok Nodes, enough for the tests that need more than one."""
PYTEST_ARGS = ("-q", "-p", "no:warnings", "-p", "no:unraisableexception", "--tb=native")
"""pytest's own ``unraisableexception`` plugin would replace, for the whole session, the hook
through which the CLI acts on a SIGINT or SIGTERM that lands in a finalizer (see
``kubeadm_verify.interrupts``): the interrupt would be kept as a warning and the run go on."""
"""--tb=native: only the crash line reaches a result, and pytest's own tracebacks parse the
source of every frame (the kubernetes client's API modules run to 30 000 lines), which cost
seconds per failure when a lost cluster fails every test at once."""
Log = Callable[[str], None]


def run(settings: ClusterSettings, log: Log) -> TierReport:
    """The whole run; ``log`` gets the local cluster's progress lines (with ``up``)."""
    if settings.up:
        return _run_up(settings, log)
    if settings.target is None:
        raise ValueError("ClusterSettings without a target or up")
    api_client, _ = access.connect(settings.target)
    kube = Kube(api_client)
    try:
        started, waited = apiready.now(), time.monotonic()
        unready = apiready.wait_ready(kube)
        if unready is not None:  # nothing could pass: one failure that says why, at once
            return apiready.unready_report(unready, started, time.monotonic() - waited)
        report = _suite(settings)
        return with_leftovers(report, kube, settings.run_id)
    except KeyboardInterrupt:
        _quiet_cleanup(kube, settings.run_id)
        raise
    finally:
        api_client.close()


def _run_up(settings: ClusterSettings, log: Log) -> TierReport:
    """``cluster --up``: one local cluster, up before the suite and down after it.

    It comes up in this process, before pytest starts, so every xdist worker of a ``--parallel``
    run is pointed at the same cluster instead of bringing up its own; on free ports, and
    advertising the default route's address as ``kubeadm init`` does (a loopback one leaves the
    ``kubernetes`` Service without endpoints pods can reach)."""
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec

    spec = ClusterSpec.local(
        f"verify-{settings.run_id}", settings.config_file, simulated_nodes=UP_SIMULATED_NODES
    )
    with bring_up(spec, log=log) as handle:
        target = handle.target
        api_client, _ = access.connect(target)
        api_client.close()
        return _suite(dataclasses.replace(settings, up=False, target=target))


def _suite(settings: ClusterSettings) -> TierReport:
    args: list[str] = list(PYTEST_ARGS)
    plugins: tuple[str, ...] = PLUGINS
    if settings.parallel > 1:
        args += ["-n", str(settings.parallel)]
        plugins = PLUGINS + XDIST
    return run_tier(TIER, PACKAGE, settings, args=args, plugins=plugins)


def with_leftovers(report: TierReport, kube: Any, run_id: str) -> TierReport:
    """Remove what the run left outside its finished namespaces; say so if there was any."""
    try:
        removed = cleanup(kube, run_id, include_terminating=False)
    except Exception as exc:  # the cluster went away mid-run: say so, keep the results
        failed = CheckResult(
            id=f"{TIER}/cleanup",
            status=Status.ERROR,
            severity=Severity.ERROR,
            message=f"could not look for what the run left behind: {access.describe_failure(exc)}",
            remediation="once the cluster is back, run `kubeadm-verify cluster --cleanup`",
        )
        return TierReport(report.tier, report.started, report.duration_s, (*report.results, failed))
    if not removed.count:
        return report
    warning = CheckResult(
        id=f"{TIER}/cleanup",
        status=Status.WARN,
        severity=Severity.WARNING,
        message=f"the run left objects behind, now deleted: {removed.summary()}",
        details={"removed": removed.objects},
    )
    return TierReport(report.tier, report.started, report.duration_s, (*report.results, warning))


def _quiet_cleanup(kube: Any, run_id: str) -> None:
    """After Ctrl-C: delete what this run made, without letting a second failure mask it."""
    with contextlib.suppress(Exception):
        cleanup(kube, run_id)


def cleanup_runs(settings: ClusterSettings) -> Removed:
    """``--cleanup``: delete everything labelled by any earlier run, wait for namespaces."""
    if settings.target is None:
        raise ValueError("--cleanup needs a cluster")
    api_client, _ = access.connect(settings.target)
    try:
        return cleanup(Kube(api_client), None, wait=LEFTOVER_WAIT_S)
    finally:
        api_client.close()


__all__ = ["LEFTOVER_WAIT_S", "TIER", "cleanup_runs", "run", "with_leftovers"]
