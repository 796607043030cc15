"""``kubeadm-verify cluster``: flags → ``ClusterSettings`` → the Standard Base's ``run`` → report.

The settings are built and checked here, once: the selection, the parallelism, and the cluster,
resolved as kubectl would (``kubeadm_verify.access``); the tier connects to that same target
and hands the same object to its pytest session. A failure before a test runs is one line,
exit 2, and the report files with one error entry.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from kubeadm_verify import access, stderr
from kubeadm_verify.cli.common import finish
from kubeadm_verify.errors import ExitStatus, UsageError
from kubeadm_verify.report.console import make_console, print_tests
from kubeadm_verify.results import Status, TierReport
from kubeadm_verify.settings import ClusterSettings, Output

TIER = "cluster"


def settings_from_args(args: argparse.Namespace, *, needs_cluster: bool = True) -> ClusterSettings:
    """The run's one ``ClusterSettings``: the selection and parallelism checked first (a bad one
    names its flag), the cluster resolved only when one is used."""
    selection = ClusterSettings(
        focus=args.focus,
        skip=args.skip,
        parallel=args.parallel,
        allowed_not_ready_nodes=args.allowed_not_ready_nodes,
        output=Output(Path(args.output_dir), args.format),
    )
    if not needs_cluster:
        return selection
    if args.up:
        if args.kubeconfig or args.context:
            raise UsageError("--up brings up its own cluster; it takes no --kubeconfig/--context")
        return dataclasses.replace(selection, up=True, config_file=args.config)
    return dataclasses.replace(selection, target=access.resolve(args.kubeconfig, args.context))


def run(args: argparse.Namespace) -> ExitStatus:
    # A run that cannot start or is interrupted gets its report from the CLI (``main``).
    settings = settings_from_args(args, needs_cluster=not args.list)
    if args.list:
        return list_tests(settings)
    if args.cleanup:
        return cleanup_runs(settings)
    from conformance.standard_base.run import run as run_suite

    report = run_suite(settings, _stderr if args.format == "text" else _quiet)
    _say_if_lost(report)
    if settings.output.fmt == "text":
        print_tests(make_console(), report)
    return finish(report, settings.output.directory, settings.output.fmt)


def _say_if_lost(report: TierReport) -> None:
    """When the cluster went away mid-run, or its API server was not ready to begin with, the
    one line on stderr says so (results follow)."""
    for result in report.results:
        if result.id == f"{TIER}/api-ready" and result.status is Status.FAIL:
            print(f"kubeadm-verify: {result.message}", file=sys.stderr)
        if result.id == f"{TIER}/cleanup" and result.status is Status.ERROR:
            reason = result.message.removeprefix("could not look for what the run left behind: ")
            print(
                f"kubeadm-verify: lost the cluster during the run ({reason}); the results so "
                "far are in the reports",
                file=sys.stderr,
            )


def cleanup_runs(settings: ClusterSettings) -> ExitStatus:
    """``--cleanup``: what every earlier run left behind, deleted and listed."""
    from conformance.standard_base.run import cleanup_runs as clean

    removed = clean(settings)
    if settings.output.fmt == "json":
        sys.stdout.write(
            json.dumps({"removed": removed.objects, "node_marks": removed.node_marks}, indent=2)
            + "\n"
        )
    else:
        make_console().print(f"cleanup: removed {removed.summary()}")
    return ExitStatus.OK


def list_tests(settings: ClusterSettings) -> ExitStatus:
    """The tests a run would run: id, area, needs and codenames; no cluster is contacted."""
    from conformance.standard_base.listing import collect

    specs = collect(settings)
    if settings.output.fmt == "json":
        entries = [
            {
                "id": s.id,
                "area": s.area,
                "needs": sorted(s.needs),
                "conformance": list(s.conformance),
                "timeout_s": s.timeout,
            }
            for s in specs
        ]
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
        return ExitStatus.OK
    console = make_console()
    for spec in specs:
        needs = ",".join(sorted(spec.needs)) or "-"
        console.print(
            f"{spec.id:<45} {spec.area:<14} {needs:<26} {len(spec.conformance)} codename(s)",
            highlight=False,
        )
        for codename in spec.conformance:
            console.print(f"    {codename}", style="dim", highlight=False, markup=False)
    console.print(f"{len(specs)} tests")
    return ExitStatus.OK


def _stderr(line: str) -> None:
    stderr.line(line)


def _quiet(line: str) -> None:
    return None


__all__ = ["cleanup_runs", "list_tests", "run", "settings_from_args"]
