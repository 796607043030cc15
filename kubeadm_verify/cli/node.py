"""``kubeadm-verify node``: flags → ``NodeSettings`` → the node tier's ``run`` → report → status.

No pytest session starts: the checks are plain functions and ``nodechecks.run`` calls them
directly, so the verb costs what kubeadm's own preflight costs. rich is imported only to render
text in colour, or text only rich can be sure of.
"""

from __future__ import annotations

import sys

from kubeadm_verify.cli.common import finish
from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.nodesettings import NodeSettings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import argparse

    from kubeadm_verify.results import TierReport


def run(args: argparse.Namespace) -> ExitStatus:
    if args.list:
        return list_checks()
    from nodechecks.run import run as run_node

    report = run_node(settings_from_args(args))  # a VerifyError's report is the CLI's to write
    if args.format == "text":
        print_text(report)
    return finish(report, args.output_dir, args.format)


def print_text(report: TierReport) -> None:
    """kubeadm's preflight lines: written as they are when rich would add no colour, else by
    rich (``kubeadm_verify.report.plaintext`` says when the two are the same characters)."""
    from kubeadm_verify.report import plaintext

    text = plaintext.preflight_text(report) if plaintext.plain_wanted(sys.stdout) else None
    if text is not None:
        sys.stdout.write(text)
        return
    from kubeadm_verify.report.console import make_console, print_preflight

    print_preflight(make_console(), report)


def settings_from_args(args: argparse.Namespace) -> NodeSettings:
    """The one ``NodeSettings`` of this run, from the flags (``KUBEADM_VERIFY_*`` included)."""
    from nodechecks.configure import node_settings

    return node_settings(
        root=args.root,
        role=args.role,
        kubernetes_version=args.kubernetes_version,
        ignore_preflight_errors=args.ignore_preflight_errors,
        config=args.config,
        pull_images=args.pull_images,
    )


def list_checks() -> ExitStatus:
    from kubeadm_verify.report.console import make_console
    from nodechecks.checks import REGISTRY

    console = make_console()
    for check in REGISTRY:
        roles = "all" if len(check.roles) > 1 else next(iter(check.roles))
        console.print(
            f"{check.id:<70} {check.origin:<8} {roles:<13} {check.severity.value:<8} "
            f"{check.summary}",
            markup=False,
        )
    return ExitStatus.OK


__all__ = ["list_checks", "run", "settings_from_args"]
