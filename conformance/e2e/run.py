"""The e2e run: the upstream suite for the cluster's exact version, fetched, run and read.

The order is the order of trust: the version asked of ``/version`` through the core's access
module (or taken from the settings); the test package fetched and verified before it is opened,
its two binaries cached; the mode resolved against what this ``e2e.test`` holds; only then is
anything run, with the resolved target handed to ``e2e.test`` as one private kubeconfig file.
Whatever stops a run before ginkgo starts is a ``VerifyError``. Once ginkgo has run, every outcome
is a result, and an incomplete run is a failure.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bootstrap.upstream.versions import goarch
from conformance.e2e import codenames
from conformance.e2e.cache import Binaries, ensure_binaries
from conformance.e2e.cluster import server_version
from conformance.e2e.command import Invocation, ginkgo_argv
from conformance.e2e.completeness import Exit
from conformance.e2e.execute import run_logged
from conformance.e2e.fetch import PackageSource
from conformance.e2e.layout import keep_for_submission, prepare
from conformance.e2e.modes import Plan, mode_named, plan
from conformance.e2e.progress import ProgressListener
from conformance.e2e.verdict import judge_run, missing_result, tier_report
from kubeadm_verify import access, redact
from kubeadm_verify.errors import ReportedInterrupt, UsageError
from kubeadm_verify.interrupts import sigterm_interrupts
from kubeadm_verify.report import write_files
from kubeadm_verify.results import TierReport
from kubeadm_verify.settings import E2ESettings


@dataclass(frozen=True)
class Prepared:
    """What a run would run: the release, its binaries, and the mode's plan for them."""

    version: str
    binaries: Binaries
    plan: Plan


def prepare_run(settings: E2ESettings, console: Console) -> Prepared:
    """Everything before ginkgo starts (for ``--dry-run``, everything it does)."""
    version = settings.version or _cluster_version(settings)
    binaries = ensure_binaries(_source(settings, version), console)
    mode = mode_named(settings.mode)
    return Prepared(
        version, binaries, plan(mode, binaries.listing(), settings.focus, settings.skip)
    )


def _cluster_version(settings: E2ESettings) -> str:
    if settings.target is None:
        raise UsageError("the cluster's version is needed: pass --kubernetes-version")
    return server_version(settings.target)


def run(settings: E2ESettings, console: Console) -> TierReport:
    """The whole run, to its report (already written if interrupted: ``ReportedInterrupt``)."""
    prepared = prepare_run(settings, console)
    if settings.target is None:
        raise UsageError("the e2e run needs a cluster")
    with access.single_kubeconfig(settings.target, prefix="kubeadm-verify-e2e-") as kubeconfig:
        return _execute(settings, prepared, kubeconfig, console)


def _source(settings: E2ESettings, version: str) -> PackageSource:
    arch = goarch()
    if settings.test_package is not None:
        sha256 = settings.test_package_sha256
        return PackageSource.local(version, arch, settings.test_package, sha256)
    return PackageSource(
        version, arch, mirror=settings.mirror, deadline_s=settings.download_timeout_s
    )


def _execute(
    settings: E2ESettings, prepared: Prepared, kubeconfig: Path, console: Console
) -> TierReport:
    version, chosen = prepared.version, prepared.plan
    layout = prepare(settings.output_dir, version)
    started, clock = datetime.now(UTC), time.perf_counter()
    kubectl = shutil.which("kubectl")
    with ProgressListener(console, layout.log) as listener, sigterm_interrupts():
        invocation = Invocation(
            procs=settings.procs,
            timeout=settings.timeout,
            kubeconfig=kubeconfig,
            report_dir=layout.artifacts,
            kubectl=Path(kubectl) if kubectl else None,
            progress_url=listener.url,
        )
        argv = ginkgo_argv(prepared.binaries, chosen.selection, invocation)
        try:
            ended = run_logged(argv, layout.log, layout.artifacts, settings.timeout_s)
        except KeyboardInterrupt:
            _scrub_artifacts(layout.artifacts)
            ended = Exit(None, "the run was interrupted")
            results = judge_run(layout.junit, layout.log, ended, codenames.load(version))
            write_files(
                tier_report(started, time.perf_counter() - clock, results), settings.output_dir
            )
            raise ReportedInterrupt from None
    _scrub_artifacts(layout.artifacts)
    results = judge_run(layout.junit, layout.log, ended, codenames.load(version))
    if chosen.missing:
        results.insert(0, missing_result(settings.mode, version, chosen.missing))
    keep_for_submission(layout, version, settings.mode, argv)
    return tier_report(started, time.perf_counter() - clock, results)


def _scrub_artifacts(folder: Path) -> None:
    """ginkgo writes its log and JUnit into the reports folder itself: scrub them as ours."""
    for path in (*folder.glob("e2e.log"), *folder.glob("junit*.xml")):
        redact.scrub_file(path)


__all__ = ["Prepared", "prepare_run", "run"]
