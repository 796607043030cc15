"""``kubeadm-verify node``: the node tier, run in-process over ``nodechecks``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kubeadm_verify.commands.common import finish, write_start_failure
from kubeadm_verify.errors import InputError, VerifyError
from kubeadm_verify.ignores import parse_ignore_list, unknown_names
from kubeadm_verify.report.console import make_console, print_preflight
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from kubeadm_verify.runner import run_tier
from nodechecks.context import DEFAULT_KUBERNETES_VERSION


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_checks()
    try:
        role, ignored = _role_and_ignores(args)
        root = _checked_root(args.root)
        report = run_tier("node", "nodechecks", _pytest_args(args, root, role, ignored))
    except VerifyError as exc:
        write_start_failure("node", args.output_dir, str(exc))
        raise
    report = _with_unknown_ignores(report, ignored)
    if args.format == "text":
        print_preflight(make_console(), report)
    return finish(report, args.output_dir, args.format)


def _role_and_ignores(args: argparse.Namespace) -> tuple[str, frozenset[str]]:
    names = parse_ignore_list(args.ignore_preflight_errors)
    role = args.role
    if args.config:
        from bootstrap.config import node_registration_from_file

        config_role, config_names = node_registration_from_file(Path(args.config))
        names = parse_ignore_list(",".join([*names, *config_names]))
        role = role or config_role
    return role or "control-plane", frozenset(names)


def _checked_root(root: str) -> str:
    if not os.path.isdir(root):
        raise InputError(f"the host root {root} does not exist or is not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise InputError(f"the host root {root} is not readable")
    return root


def _pytest_args(
    args: argparse.Namespace, root: str, role: str, ignored: frozenset[str]
) -> list[str]:
    argv = [
        "--node-root",
        root,
        "--node-role",
        role,
        "--node-kubernetes-version",
        args.kubernetes_version or DEFAULT_KUBERNETES_VERSION,
        "--node-ignore-preflight-errors",
        ",".join(sorted(ignored)),
        "-q",
        "-p",
        "no:warnings",
    ]
    if args.pull_images:
        argv.append("--node-pull-images")
    return argv


def _with_unknown_ignores(report: TierReport, ignored: frozenset[str]) -> TierReport:
    """kubeadm accepts typos silently; we keep the run going but say which names matched nothing."""
    unknown = unknown_names(ignored, [result.id for result in report.results])
    if not unknown:
        return report
    warning = CheckResult(
        id="IgnorePreflightErrors",
        status=Status.WARN,
        severity=Severity.WARNING,
        message=f"unknown check names in --ignore-preflight-errors: {', '.join(unknown)}",
        remediation="check the spelling against `kubeadm-verify node --list`",
        details={"unknown": unknown},
    )
    return TierReport(report.tier, report.started, report.duration_s, (*report.results, warning))


def list_checks() -> int:
    from nodechecks.checks import REGISTRY

    console = make_console()
    for check in REGISTRY:
        roles = "all" if len(check.roles) > 1 else next(iter(check.roles))
        console.print(f"{check.id:<70} {roles:<13} {check.severity.value:<8} {check.summary}")
    return 0


__all__ = ["list_checks", "run"]
