"""``kubeadm-verify e2e``: the upstream e2e suite for the cluster's exact version, run and read.

The order is the order of trust: options checked; the version asked of ``/version`` (or taken
from ``--kubernetes-version``); the test package fetched and verified before it is opened, its two
binaries cached; the mode resolved against what this ``e2e.test`` holds; only then is anything
run. Whatever stops a run before ginkgo starts is a ``VerifyError``: the reports are still
written, with one error entry that says why, and the CLI exits 2. Once ginkgo has run, every
outcome is a result, and an incomplete run is a failure. ``--dry-run`` stops before running and
prints what would run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bootstrap.upstream.versions import goarch
from conformance.e2e import codenames
from conformance.e2e.cache import Binaries, ensure_binaries
from conformance.e2e.cluster import kubeconfig_file, server_version
from conformance.e2e.command import Invocation, ginkgo_argv
from conformance.e2e.completeness import Exit
from conformance.e2e.execute import run_logged, sigterm_as_interrupt
from conformance.e2e.fetch import PackageSource
from conformance.e2e.layout import keep_for_submission, prepare
from conformance.e2e.modes import Plan, plan
from conformance.e2e.progress import ProgressListener
from conformance.e2e.settings import E2ESettings
from conformance.e2e.verdict import judge_run, missing_result, tier_report
from kubeadm_verify.cli.common import finish, write_start_failure
from kubeadm_verify.errors import VerifyError
from kubeadm_verify.report import write_files
from kubeadm_verify.report.console import make_console, print_tests


def run(args: argparse.Namespace) -> int:
    try:
        settings = E2ESettings.from_args(args)
        return _run(settings)
    except VerifyError as exc:
        write_start_failure("e2e", args.output_dir, str(exc))
        raise


def _run(settings: E2ESettings) -> int:
    console = make_console(stderr=True)
    version = settings.version or server_version(settings.kubeconfig, settings.context)
    binaries = ensure_binaries(_source(settings, version), console)
    chosen = plan(settings.mode, binaries.listing(), settings.focus, settings.skip)
    if settings.dry_run:
        return _print_dry_run(settings, version, chosen)
    kubeconfig = kubeconfig_file(settings.kubeconfig)
    return _execute(settings, version, binaries, chosen, kubeconfig, console)


def _source(settings: E2ESettings, version: str) -> PackageSource:
    arch = goarch()
    if settings.test_package is not None:
        sha256 = settings.test_package_sha256
        return PackageSource.local(version, arch, settings.test_package, sha256)
    return PackageSource(version, arch, mirror=settings.mirror)


def _execute(settings: E2ESettings, version: str, binaries: Binaries, chosen: Plan,
             kubeconfig: Path, console: Console) -> int:
    layout = prepare(settings.output_dir, version)
    started, clock = datetime.now(UTC), time.perf_counter()
    kubectl = shutil.which("kubectl")
    with ProgressListener(console, layout.log) as listener, sigterm_as_interrupt():
        invocation = Invocation(
            procs=settings.procs,
            timeout=settings.timeout,
            kubeconfig=kubeconfig,
            report_dir=layout.artifacts,
            context=settings.context,
            kubectl=Path(kubectl) if kubectl else None,
            progress_url=listener.url,
        )
        argv = ginkgo_argv(binaries, chosen.selection, invocation)
        try:
            ended = run_logged(argv, layout.log, layout.artifacts, settings.timeout_s)
        except KeyboardInterrupt:
            ended = Exit(None, "the run was interrupted")
            results = judge_run(layout.junit, layout.log, ended, codenames.load(version))
            write_files(tier_report(started, time.perf_counter() - clock, results),
                        settings.output_dir)
            raise
    results = judge_run(layout.junit, layout.log, ended, codenames.load(version))
    if chosen.missing:
        results.insert(0, missing_result(settings.mode.name, version, chosen.missing))
    keep_for_submission(layout, version, settings.mode.name, argv)
    report = tier_report(started, time.perf_counter() - clock, results)
    if settings.fmt == "text":
        print_tests(make_console(), report)
    return finish(report, settings.output_dir, settings.fmt)


def _print_dry_run(settings: E2ESettings, version: str, chosen: Plan) -> int:
    """List what would run, without running it; the cluster saw at most ``GET /version``."""
    specs = list(chosen.expected or ())
    if settings.fmt == "json":
        body = {
            "version": version,
            "mode": settings.mode.name,
            "procs": settings.procs,
            "focus": list(chosen.selection.focus),
            "skip": list(chosen.selection.skip),
            "label_filter": chosen.selection.label_filter,
            "specs": specs,
            "missing": list(chosen.missing),
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return 0
    for spec in specs:
        print(spec)
    for spec in chosen.missing:
        print(f"not in this e2e.test, left out: {spec}", file=sys.stderr)
    print(f"{len(specs)} specs would run ({settings.mode.name}, {version}, "
          f"{settings.procs} ginkgo processes)", file=sys.stderr)
    return 0
