"""The command line: parse, build settings, call the library, render one line on failure.

Thin by design: every verb is a library call (``kubeadm_verify.cli.<verb>.run``) imported
only when that verb runs, so ``kubeadm-verify node`` never pays for the kubernetes client.
Start-up is most of that verb's cost, and it is timed against kubeadm's own preflight, a Go
binary: this module imports only what every verb needs, builds only the options of the verb
being run, and leaves ``logging`` (for the kubernetes client's sake) and the redaction (for
error lines) to the verbs and the moments that need them.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from kubeadm_verify import stderr
from kubeadm_verify.errors import ExitStatus, VerifyError
from kubeadm_verify.interrupts import interruptible
from kubeadm_verify.options import OUTPUT_DIR, VERB_NAMES, UsageFailure
from kubeadm_verify.outputdir import check_output_dir

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import cast
else:
    from kubeadm_verify.typeshim import cast

TIERS = ("node", "cluster", "e2e", "upgrade")
"""The verbs that write reports (``upgrade``: one result per step)."""


def verb_of(argv: Sequence[str]) -> str | None:
    """The verb ``argv`` runs: its first word that is not an option (the top-level options,
    ``--debug``, ``--version`` and ``--help``, take no value); ``None`` if that is no verb."""
    word = next((w for w in argv if not w.startswith("-")), None)
    return word if word in VERB_NAMES else None


def main(argv: Sequence[str] | None = None) -> ExitStatus:
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = verb_of(argv)
    try:
        args = parse_arguments(argv, verb)
    except UsageFailure as exc:
        _say(str(exc))
        return _usage_exit(argv, str(exc))
    from kubeadm_verify.report import write_count

    started, output_usable = write_count(), False
    try:
        with interruptible():
            _check_outputs(args)
            output_usable = True  # else there is no folder to leave a report in
            return _run_verb(args)
    except KeyboardInterrupt:
        _report_unless_written(args, started, "interrupted")
        _say("kubeadm-verify: interrupted")
        return ExitStatus.INTERRUPTED
    except VerifyError as exc:
        if output_usable:
            _report_unless_written(args, started, str(exc))
        if args.debug:
            raise
        _say(f"kubeadm-verify: {exc}")
        return ExitStatus.CANNOT_START
    except Exception as exc:  # a bug or an unforeseen fault: still a report and one line
        if args.debug:
            raise
        return _internal_error(args, exc, started)


def parse_arguments(argv: list[str], verb: str | None) -> argparse.Namespace:
    """The parsed command line: the node verb's plain uses without argparse (its start-up is
    timed against kubeadm's), everything else, and every usage error, through argparse."""
    if verb == "node":
        from kubeadm_verify.cli.fastpath import node_arguments

        fast = node_arguments(argv)  # what argparse gives (tests/unit/core/test_fastpath.py)
        if fast is not None:
            return cast("argparse.Namespace", fast)
    from kubeadm_verify.cli.parser import parse

    return parse(argv, verb)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The argparse command line (``kubeadm_verify.cli.parser.build_parser``)."""
    from kubeadm_verify.cli.parser import build_parser as build

    return build(verb)


def apply_environment(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """``KUBEADM_VERIFY_*`` onto ``parser`` (``kubeadm_verify.cli.parser.apply_environment``)."""
    from kubeadm_verify.cli.parser import apply_environment as apply

    apply(parser, argv)


def _run_verb(args: argparse.Namespace) -> ExitStatus:
    """Run the verb (its ``run`` returns an ``ExitStatus``); the cluster-facing ones inside their
    own private temporary directory."""
    if args.verb != "node":  # the node tier runs for a blink and loads no library that logs
        gc.enable()  # the console entry starts with it off (kubeadm_verify.__main__)
        quiet_library_logging()
    name = f"kubeadm_verify.cli.{args.verb}"
    __import__(name)  # the builtin: the ``importlib`` package (and ``warnings``) is not needed
    command = sys.modules[name]
    if args.verb not in ("cluster", "e2e"):
        return ExitStatus(command.run(args))
    from kubeadm_verify.interrupts import private_tempdir

    with private_tempdir():
        return ExitStatus(command.run(args))


def _check_outputs(args: argparse.Namespace) -> None:
    """A run that will write reports proves first that it can (before any cluster comes up)."""
    if args.verb not in TIERS or any(
        getattr(args, flag, False) for flag in ("list", "dry_run", "cleanup")
    ):
        return
    check_output_dir(args.output_dir, args.verb)


def _internal_error(args: argparse.Namespace, exc: Exception, started: int) -> ExitStatus:
    """An exception no layer below turned into a result: an ``error`` entry, one line, exit 1."""
    line = f"kubeadm-verify: {args.verb} failed: {type(exc).__name__}: {exc}"
    line = " ".join(line.split())
    _report_unless_written(args, started, line.removeprefix("kubeadm-verify: "))
    _say(line)
    return ExitStatus.FAILED


def _report_unless_written(args: argparse.Namespace, since: int, message: str) -> None:
    """Leave a report with one ``error`` entry (the CLI alone writes these: a run that could not
    start, was interrupted or failed unforeseen), unless the verb wrote its own report after
    ``since`` (``kubeadm_verify.report.write_count``): its partial results say more than we can."""
    if args.verb not in TIERS:
        return
    from kubeadm_verify.cli.common import write_start_failure
    from kubeadm_verify.report import written_since

    if not written_since(since, args.output_dir, args.verb):
        write_start_failure(args.verb, args.output_dir, message)


def quiet_library_logging() -> None:
    """The kubernetes client calls ``logging.error`` on the root logger, which would print
    ``ERROR:root:...`` lines beside ours; a root handler that drops records keeps stderr to the
    one line we write (and stops ``logging`` from installing its own stderr handler)."""
    import logging

    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())


def _say(line: str) -> None:
    from kubeadm_verify.redact import one_line  # loaded by the reports anyway; errors only here

    stderr.line(one_line(line))


def _usage_exit(argv: Sequence[str], message: str) -> ExitStatus:
    """A usage error on a checking verb still leaves its reports behind, with one error entry."""
    from kubeadm_verify.cli.common import write_start_failure

    tier = next((word for word in argv if word in TIERS), None)
    if tier is not None:
        output = _option_value(argv, f"--{OUTPUT_DIR.name}") or os.environ.get(OUTPUT_DIR.variable)
        write_start_failure(tier, output or "reports", message)
    return ExitStatus.CANNOT_START


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None
