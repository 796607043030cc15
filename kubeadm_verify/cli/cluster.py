"""``kubeadm-verify cluster``: the Kubernetes Standard Base, run in-process over ``conformance``.

Before a test runs: the selection is checked, the kubeconfig found and read as kubectl would,
and the cluster reached, authenticated to, and asked whether we may create namespaces; a
failure there is one line, exit 2, and the report files with one error entry. With ``--up`` a
local cluster comes up first and goes down last. After the run, anything the run left behind is
removed (and reported as a warning); ``--cleanup`` does the same for every earlier run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kubeadm_verify.cli.common import finish, write_start_failure
from kubeadm_verify.errors import UsageError, VerifyError
from kubeadm_verify.report.console import make_console, print_tests
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from kubeadm_verify.runner import run_tier

TIER = "cluster"
PLUGINS = ("kubeadm_verify.plugin", "bootstrap.fixtures", "pytest_timeout")
XDIST = ("xdist.plugin",)
LEFTOVER_WAIT_S = 30.0


def run(args: argparse.Namespace) -> int:
    try:
        from conformance.standard_base.selection import Selection

        Selection.from_flags(args.focus, args.skip)  # a bad regex stops here, with its flag
        if args.parallel < 1:
            raise UsageError(f"--parallel {args.parallel}: must be at least 1")
        if args.list:
            return list_tests(args)
        if args.up and (args.kubeconfig or args.context):
            raise UsageError("--up brings up its own cluster; it takes no --kubeconfig/--context")
        if args.cleanup:
            return cleanup_runs(args)
        if args.up:
            return _run_up(args)
        from conformance import kubeconfig

        target = kubeconfig.resolve(args.kubeconfig, args.context)
        return _run_against(args, target)
    except VerifyError as exc:
        write_start_failure(TIER, args.output_dir, str(exc))
        raise
    except KeyboardInterrupt:
        write_start_failure(TIER, args.output_dir, "interrupted")
        raise


def _connect(target: Any) -> tuple[Any, str]:
    """A checked client (reached, authenticated, allowed) and the context it uses."""
    from conformance import kubeconfig

    api_client, context = kubeconfig.load(target)
    try:
        kubeconfig.check_connection(api_client, context)
    except BaseException:
        api_client.close()
        raise
    return api_client, context


def _run_against(args: argparse.Namespace, target: Any) -> int:
    from conformance.standard_base.kube import Kube

    api_client, context = _connect(target)
    kube = Kube(api_client)
    run_id = new_run_id()
    try:
        with single_kubeconfig(target) as path:
            report = _run_suite(args, path, context, run_id)
        report = with_leftovers(report, kube, run_id)
    except KeyboardInterrupt:
        _quiet_cleanup(kube, run_id)
        raise
    finally:
        api_client.close()
    _say_if_lost(report)
    return _render(report, args)


def _say_if_lost(report: TierReport) -> None:
    """When the cluster went away mid-run, the one line on stderr says so (results follow)."""
    for result in report.results:
        if result.id == f"{TIER}/cleanup" and result.status is Status.ERROR:
            reason = result.message.removeprefix("could not look for what the run left behind: ")
            print(f"kubeadm-verify: lost the cluster during the run ({reason}); the results so "
                  "far are in the reports", file=sys.stderr)


def _run_up(args: argparse.Namespace) -> int:
    from conformance import kubeconfig
    from conformance.standard_base.localcluster import local_cluster

    run_id = new_run_id()
    log = _stderr if args.format == "text" else _quiet
    with local_cluster(f"verify-{run_id}", args.config, log) as handle:
        target = kubeconfig.Target((handle.kubeconfig,), handle.context)
        api_client, context = _connect(target)
        api_client.close()
        report = _run_suite(args, str(handle.kubeconfig), context, run_id)
    return _render(report, args)


def _run_suite(args: argparse.Namespace, kubeconfig_path: str, context: str,
               run_id: str) -> TierReport:
    # --tb=native: only the crash line reaches a result, and pytest's own tracebacks parse the
    # source of every frame (the kubernetes client's API modules run to 30 000 lines), which
    # cost seconds per failure when a lost cluster fails every test at once.
    argv = ["--kv-kubeconfig", kubeconfig_path, "--kv-context", context, "--kv-run-id", run_id,
            "-q", "-p", "no:warnings", "--tb=native"]
    if args.focus:
        argv += ["--kv-focus", args.focus]
    if args.skip:
        argv += ["--kv-skip", args.skip]
    plugins: tuple[str, ...] = PLUGINS
    if args.parallel > 1:
        argv += ["-n", str(args.parallel)]
        plugins = PLUGINS + XDIST
    return run_tier(TIER, "conformance.standard_base", argv, plugins=plugins)


def _render(report: TierReport, args: argparse.Namespace) -> int:
    if args.format == "text":
        print_tests(make_console(), report)
    return finish(report, args.output_dir, args.format)


def new_run_id() -> str:
    """One id for the whole run (every xdist worker), in the label value's alphabet."""
    return f"{time.strftime('%m%d%H%M%S')}-{secrets.token_hex(2)}"


@contextlib.contextmanager
def single_kubeconfig(target: Any) -> Iterator[str]:
    """One file for the suite: the kubeconfig itself, or KUBECONFIG's files merged into a
    private temporary file (it holds credentials: mode 0600, removed afterwards)."""
    if len(target.paths) == 1:
        yield str(target.paths[0])
        return
    import yaml

    from conformance.kubeconfig import merged

    with tempfile.TemporaryDirectory(prefix="kubeadm-verify-") as folder:
        path = Path(folder) / "kubeconfig"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump(merged(target), handle)
        yield str(path)


def with_leftovers(report: TierReport, kube: Any, run_id: str) -> TierReport:
    """Remove what the run left outside its finished namespaces; say so if there was any."""
    from conformance.standard_base.cleanup import cleanup

    try:
        removed = cleanup(kube, run_id, include_terminating=False)
    except Exception as exc:  # the cluster went away mid-run: say so, keep the results
        failed = CheckResult(
            id=f"{TIER}/cleanup", status=Status.ERROR, severity=Severity.ERROR,
            message=f"could not look for what the run left behind: {_reason(exc)}",
            remediation="once the cluster is back, run `kubeadm-verify cluster --cleanup`",
        )
        return TierReport(report.tier, report.started, report.duration_s,
                          (*report.results, failed))
    if not removed.count:
        return report
    warning = CheckResult(
        id=f"{TIER}/cleanup", status=Status.WARN, severity=Severity.WARNING,
        message=f"the run left objects behind, now deleted: {removed.summary()}",
        details={"removed": removed.objects},
    )
    return TierReport(report.tier, report.started, report.duration_s,
                      (*report.results, warning))


def _reason(exc: BaseException) -> str:
    """One line for a client failure: urllib3's innermost reason, not its retry story."""
    from conformance.kubeconfig import describe_failure

    return describe_failure(exc)


def _quiet_cleanup(kube: Any, run_id: str) -> None:
    """After Ctrl-C: delete what this run made, without letting a second failure mask it."""
    from conformance.standard_base.cleanup import cleanup

    with contextlib.suppress(Exception):
        cleanup(kube, run_id)


def cleanup_runs(args: argparse.Namespace) -> int:
    """``--cleanup``: delete everything labelled by any earlier run, wait for namespaces."""
    from conformance import kubeconfig
    from conformance.standard_base.cleanup import cleanup
    from conformance.standard_base.kube import Kube

    target = kubeconfig.resolve(args.kubeconfig, args.context)
    api_client, _ = _connect(target)
    try:
        removed = cleanup(Kube(api_client), None, wait=LEFTOVER_WAIT_S)
    finally:
        api_client.close()
    if args.format == "json":
        sys.stdout.write(json.dumps({"removed": removed.objects,
                                     "node_marks": removed.node_marks}, indent=2) + "\n")
    else:
        make_console().print(f"cleanup: removed {removed.summary()}")
    return 0


def list_tests(args: argparse.Namespace) -> int:
    """The tests a run would run: id, area, needs and codenames; no cluster is contacted."""
    from conformance.standard_base.listing import collect

    argv = []
    if args.focus:
        argv += ["--kv-focus", args.focus]
    if args.skip:
        argv += ["--kv-skip", args.skip]
    specs = collect(argv)
    if args.format == "json":
        entries = [{"id": s.id, "area": s.area, "needs": sorted(s.needs),
                    "conformance": list(s.conformance), "timeout_s": s.timeout} for s in specs]
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
        return 0
    console = make_console()
    for spec in specs:
        needs = ",".join(sorted(spec.needs)) or "-"
        console.print(f"{spec.id:<45} {spec.area:<14} {needs:<26} {len(spec.conformance)} "
                      "codename(s)", highlight=False)
        for codename in spec.conformance:
            console.print(f"    {codename}", style="dim", highlight=False, markup=False)
    console.print(f"{len(specs)} tests")
    return 0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _quiet(line: str) -> None:
    return None


__all__ = ["cleanup_runs", "list_tests", "new_run_id", "run", "single_kubeconfig",
           "with_leftovers"]
