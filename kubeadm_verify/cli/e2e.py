"""``kubeadm-verify e2e``: flags → ``E2ESettings`` → the e2e tier's ``run`` → report → status.

The settings are built and checked here, once: the mode and its defaults, every filter,
duration, checksum and mirror, and the cluster, resolved as kubectl would
(``kubeadm_verify.access``) unless ``--kubernetes-version`` with ``--dry-run`` means none is asked
anything. Whatever stops a run before ginkgo starts is a ``VerifyError``: the reports are still
written, with one error entry that says why, and the CLI exits 2. ``--dry-run`` prints what
would run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.e2e.modes import check_filters, mode_named
from conformance.e2e.run import Prepared, prepare_run
from conformance.e2e.run import run as run_e2e
from conformance.e2e.settings import check_mirror, check_sha256, duration_seconds
from conformance.e2e.version import requested_version
from kubeadm_verify import access
from kubeadm_verify.cli.common import finish
from kubeadm_verify.errors import ExitStatus, UsageError
from kubeadm_verify.report.console import make_console, print_tests
from kubeadm_verify.settings import E2ESettings, Output, check_regex


def settings_from_args(args: argparse.Namespace) -> E2ESettings:
    """The run's one ``E2ESettings`` (``KUBEADM_VERIFY_*`` already applied by the parser): every
    option checked first, the cluster resolved last."""
    mode = mode_named(args.mode)
    parallel = getattr(args, "parallel", None)
    if parallel is not None and parallel < 1:
        raise UsageError(f"--parallel {parallel}: needs at least one process")
    focus, skip = check_regex("--focus", args.focus), check_regex("--skip", args.skip)
    check_filters(mode, focus, skip)
    timeout = args.timeout or mode.timeout
    version = requested_version(args.kubernetes_version) if args.kubernetes_version else None
    sha256 = check_sha256(args.test_package_sha256, args.test_package)
    timeout_s = duration_seconds(timeout)
    download_s = duration_seconds(
        getattr(args, "download_timeout", None) or "30m", "--download-timeout"
    )
    mirror = check_mirror(args.mirror)
    no_cluster = bool(args.dry_run and version)
    return E2ESettings(
        mode=mode.name,
        version=version,
        test_package_sha256=sha256,
        timeout=timeout,
        timeout_s=timeout_s,
        download_timeout_s=download_s,
        mirror=mirror,
        target=None if no_cluster else access.resolve(args.kubeconfig, args.context),
        test_package=Path(args.test_package) if args.test_package else None,
        focus=focus,
        skip=skip,
        procs=mode.procs if parallel is None else parallel,
        dry_run=bool(args.dry_run),
        output=Output(Path(args.output_dir), args.format),
    )


def run(args: argparse.Namespace) -> ExitStatus:
    # A run that cannot start or is interrupted before ginkgo ran gets its report from the CLI
    # (``main``); one interrupted later has written its partial results itself.
    settings = settings_from_args(args)
    console = make_console(stderr=True)
    if settings.dry_run:
        return _print_dry_run(settings, prepare_run(settings, console))
    report = run_e2e(settings, console)
    if settings.fmt == "text":
        print_tests(make_console(), report)
    return finish(report, settings.output_dir, settings.fmt)


def _print_dry_run(settings: E2ESettings, prepared: Prepared) -> ExitStatus:
    """List what would run, without running it; the cluster saw at most ``GET /version``."""
    chosen, version = prepared.plan, prepared.version
    specs = list(chosen.expected or ())
    if settings.fmt == "json":
        body = {
            "version": version,
            "mode": settings.mode,
            "procs": settings.procs,
            "focus": list(chosen.selection.focus),
            "skip": list(chosen.selection.skip),
            "label_filter": chosen.selection.label_filter,
            "specs": specs,
            "missing": list(chosen.missing),
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return ExitStatus.OK
    for spec in specs:
        print(spec)
    for spec in chosen.missing:
        print(f"not in this e2e.test, left out: {spec}", file=sys.stderr)
    print(
        f"{len(specs)} specs would run ({settings.mode}, {version}, "
        f"{settings.procs} ginkgo processes)",
        file=sys.stderr,
    )
    return ExitStatus.OK


__all__ = ["run", "settings_from_args"]
