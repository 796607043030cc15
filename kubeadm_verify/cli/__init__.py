"""The command line: parse, build settings, call the library, render one line on failure.

Thin by design: every verb is a library call (``kubeadm_verify.cli.<verb>.run``) imported
only when that verb runs, so ``kubeadm-verify node`` never pays for the kubernetes client.
Start-up is most of that verb's cost, and it is timed against kubeadm's own preflight, a Go
binary: this module imports only what every verb needs, builds only the options of the verb
being run, and leaves ``logging`` (for the kubernetes client's sake) and the redaction (for
error lines) to the verbs and the moments that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence

from kubeadm_verify import __version__, stderr
from kubeadm_verify.errors import ExitStatus, VerifyError
from kubeadm_verify.interrupts import interruptible, private_tempdir
from kubeadm_verify.outputdir import check_output_dir

ENV_PREFIX = "KUBEADM_VERIFY_"
TIERS = ("node", "cluster", "e2e")


class _Parser(argparse.ArgumentParser):
    """argparse exits on bad usage; we raise so the caller decides and reports stay consistent."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageFailure(f"{self.prog}: {message}")


class _UsageFailure(Exception):
    pass


def _common_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output-dir", default="reports", help="where reports go (./reports)")


def _tier_options(
    parser: argparse.ArgumentParser, parallel: str = "run N tests at once (1)"
) -> None:
    parser.add_argument("--focus", help="run only tests whose id matches this regex")
    parser.add_argument("--skip", help="skip tests whose id matches this regex")
    parser.add_argument("--parallel", type=int, default=1, metavar="N", help=parallel)


def _cluster_access(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        metavar="PATH",
        help="the cluster's kubeconfig (as kubectl: $KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    parser.add_argument(
        "--context", metavar="NAME", help="the kubeconfig context to use (its current-context)"
    )


def _cluster_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name", default="kubeadm-verify", help="the local cluster's name (kubeadm-verify)"
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where its files live (~/.cache/kubeadm-verify/clusters/NAME)",
    )


def _node_options(node: argparse.ArgumentParser) -> None:
    node.add_argument("--root", default="/", help="check the host whose / is mounted here")
    node.add_argument(
        "--role",
        choices=["control-plane", "worker"],
        help="the checks of this role (control-plane, or the --config's kind)",
    )
    node.add_argument(
        "--kubernetes-version",
        metavar="vX.Y.Z",
        help="the version the node will run (the --config's, else kubeadm's)",
    )
    node.add_argument(
        "--ignore-preflight-errors",
        metavar="NAMES",
        default="",
        help="comma-separated check ids whose errors become warnings, or 'all'",
    )
    node.add_argument("--config", metavar="FILE", help="kubeadm configuration (v1beta4)")
    node.add_argument("--pull-images", action="store_true", help="also pull images (mutates)")
    node.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="what stdout shows: kubeadm's preflight lines, or results.json",
    )
    node.add_argument("--list", action="store_true", help="list the checks and exit")
    _common_output(node)


def _cluster_options(cluster: argparse.ArgumentParser) -> None:
    _cluster_access(cluster)
    cluster.add_argument("--up", action="store_true", help="bring up a local cluster to verify")
    cluster.add_argument(
        "--config", metavar="FILE", help="kubeadm configuration for the cluster --up brings up"
    )
    _tier_options(cluster)
    cluster.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="what stdout shows: a line per test, or results.json",
    )
    cluster.add_argument("--list", action="store_true", help="list the tests and exit")
    cluster.add_argument(
        "--cleanup",
        action="store_true",
        help="delete what interrupted earlier runs left in the cluster, and exit",
    )
    _common_output(cluster)


def _e2e_options(e2e: argparse.ArgumentParser) -> None:
    _cluster_access(e2e)
    e2e.add_argument(
        "--mode",
        choices=["quick", "standard-base", "conformance", "certified"],
        default="quick",
        help="quick: one pod spec; standard-base: 26 cheap specs; conformance: every "
        "[Conformance] spec in parallel; certified: serially, as a CNCF submission",
    )
    e2e.add_argument(
        "--kubernetes-version",
        metavar="vX.Y.Z",
        help="the e2e.test release to run (the server's /version)",
    )
    e2e.add_argument(
        "--mirror",
        metavar="URL",
        default="https://dl.k8s.io",
        help="where the kubernetes-test tarball and its checksum are fetched",
    )
    e2e.add_argument(
        "--test-package",
        metavar="FILE",
        help="a local kubernetes-test tarball instead of a download (air-gapped)",
    )
    e2e.add_argument(
        "--test-package-sha256",
        metavar="HEX",
        help="the --test-package's SHA-256, checked before anything is unpacked",
    )
    _tier_options(e2e, parallel="ginkgo processes (the mode's own number)")
    e2e.set_defaults(parallel=None)  # each mode has its own default number of ginkgo processes
    e2e.add_argument("--timeout", metavar="DURATION", help="suite timeout (the mode's default)")
    e2e.add_argument(
        "--download-timeout",
        metavar="DURATION",
        default="30m",
        help="deadline for the whole test package download (30m)",
    )
    e2e.add_argument(
        "--dry-run", action="store_true", help="print the specs the run would select, and exit"
    )
    e2e.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="what stdout shows: a line per spec, or results.json",
    )
    _common_output(e2e)


def _up_options(up: argparse.ArgumentParser) -> None:
    _cluster_name(up)
    up.add_argument(
        "--config",
        metavar="FILE",
        help="kubeadm configuration (InitConfiguration, ClusterConfiguration, ...)",
    )
    up.add_argument(
        "--kubernetes-version",
        metavar="vX.Y.Z",
        help="the release to run (the pinned one, v1.37.2)",
    )
    up.add_argument(
        "--simulated-nodes",
        type=int,
        default=0,
        metavar="N",
        help="N nodes simulated by kwok: they run no pod (0)",
    )
    up.add_argument(
        "--nodes",
        type=int,
        default=0,
        metavar="N",
        help="N real worker nodes to join, each a kubelet in its own network "
        "namespace, besides the control-plane node (0)",
    )
    up.add_argument(
        "--free-ports",
        action="store_true",
        help="free ports instead of kubeadm's fixed ones (6443, 2379, ...)",
    )


def _down_options(down: argparse.ArgumentParser) -> None:
    _cluster_name(down)


def _join_options(join: argparse.ArgumentParser) -> None:
    _cluster_name(join)
    join.add_argument(
        "--nodes", type=int, default=1, metavar="N", help="how many real worker nodes to join (1)"
    )


def _phase_options(phase: argparse.ArgumentParser) -> None:
    phase.add_argument(
        "phase",
        metavar="PHASE[/SUBPHASE]",
        help="a kubeadm init phase, as kubeadm names it (certs/apiserver, ...)",
    )
    _cluster_name(phase)
    phase.add_argument(
        "--config",
        metavar="FILE",
        help="kubeadm configuration (InitConfiguration, ClusterConfiguration)",
    )


def _binaries_options(binaries: argparse.ArgumentParser) -> None:
    binaries.add_argument(
        "--kubernetes-version", metavar="vX.Y.Z", help="the release (the pinned one, v1.37.2)"
    )
    binaries.add_argument(
        "--source",
        choices=["auto", "download", "build"],
        default="auto",
        help="download checksummed releases, build from the Go modules, or "
        "download and build what cannot be downloaded (auto)",
    )
    binaries.add_argument(
        "--mirror",
        metavar="URL",
        default="https://dl.k8s.io",
        help="where release binaries and their checksums are fetched",
    )


VERBS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], str]] = {
    "node": (
        "verify this machine (kubeadm preflight and more)",
        _node_options,
        """\
  kubeadm-verify node
  kubeadm-verify node --config kubeadm.yaml --ignore-preflight-errors Swap,NumCPU
  kubeadm-verify node --root /mnt/image --role worker --format json""",
    ),
    "cluster": (
        "run the Kubernetes Standard Base",
        _cluster_options,
        """\
  kubeadm-verify cluster --kubeconfig ~/.kube/config --parallel 4
  kubeadm-verify cluster --up --focus '^network/'
  kubeadm-verify cluster --cleanup""",
    ),
    "e2e": (
        "run the upstream conformance e2e binary",
        _e2e_options,
        """\
  kubeadm-verify e2e --mode standard-base
  kubeadm-verify e2e --mode conformance --test-package kubernetes-test-linux-amd64.tar.gz \\
      --test-package-sha256 <hex>""",
    ),
    "up": (
        "bring up a local cluster; print its admin kubeconfig",
        _up_options,
        """\
  kubeadm-verify up --name dev --nodes 2
  kubeadm-verify up --name sim --simulated-nodes 100 --free-ports""",
    ),
    "down": (
        "tear a local cluster down",
        _down_options,
        """\
  kubeadm-verify down --name dev""",
    ),
    "join": (
        "join real nodes to a running local cluster",
        _join_options,
        """\
  kubeadm-verify join --name dev --nodes 1""",
    ),
    "phase": (
        "run one kubeadm init phase",
        _phase_options,
        """\
  kubeadm-verify phase certs/apiserver --name dev --config kubeadm.yaml""",
    ),
    "binaries": (
        "fetch or build upstream binaries; print the dir",
        _binaries_options,
        """\
  kubeadm-verify binaries --source build""",
    ),
}
"""Each verb: its one-line help, what adds its options, and the examples its ``--help`` ends
with."""


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or, given the ``verb`` being run, every verb with that one's
    options only: argparse builds a formatter per option, and the other verbs' ~40 options are
    a measurable share of a ``kubeadm-verify node`` run. Parsing and ``--help`` of the verb run
    are the same either way."""
    parser = _Parser(prog="kubeadm-verify", description="Verify Kubernetes nodes and clusters.")
    parser.add_argument("--version", action="version", version=f"kubeadm-verify {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for name, (summary, add_options, examples) in VERBS.items():
        sub = verbs.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"examples:\n{examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if verb is None or verb == name:
            add_options(sub)
            sub.epilog = f"{sub.epilog}\n\n{_environment(sub)}"
    return parser


def _environment(parser: argparse.ArgumentParser) -> str:
    """The ``KUBEADM_VERIFY_<OPTION>`` rule, shown with the verb's own first long option."""
    first = next(
        o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"
    )
    variable = ENV_PREFIX + first[2:].upper().replace("-", "_")
    return (
        "Every long option can also be set in the environment as KUBEADM_VERIFY_<OPTION>\n"
        f"({first} as {variable}); a flag given on the command line wins."
    )


def verb_of(argv: Sequence[str]) -> str | None:
    """The verb ``argv`` runs: its first word that is not an option (the top-level options,
    ``--debug``, ``--version`` and ``--help``, take no value); ``None`` if that is no verb."""
    word = next((w for w in argv if not w.startswith("-")), None)
    return word if word in VERBS else None


def apply_environment(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Let ``KUBEADM_VERIFY_<LONG_OPTION>`` set any long option the command line leaves unset.

    Each value goes through the option's own ``type`` and ``choices``, as a flag would; a bad
    value is a usage error that names the variable.
    """
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    verb = next((word for word in argv if word in verbs.choices), None)
    targets = [parser] + ([verbs.choices[verb]] if verb else [])
    for target in targets:
        for action in target._actions:
            longs = [o for o in action.option_strings if o.startswith("--")]
            if not longs or longs[0] in ("--help", "--version"):
                continue
            variable = ENV_PREFIX + longs[0][2:].upper().replace("-", "_")
            value = os.environ.get(variable)
            if value is not None:
                target.set_defaults(**{action.dest: _env_value(target, action, variable, value)})


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _env_value(
    parser: argparse.ArgumentParser, action: argparse.Action, variable: str, value: str
) -> object:
    """``value`` converted and checked by the parser's rules for ``action``."""
    if action.nargs == 0:
        if value.lower() not in _TRUE + _FALSE:
            raise _UsageFailure(
                f"kubeadm-verify: {variable}={value!r}: expected one of "
                f"{', '.join(_TRUE + _FALSE[1:])} (or empty)"
            )
        return value.lower() in _TRUE
    try:
        return parser._get_values(action, [value])
    except argparse.ArgumentError as exc:
        raise _UsageFailure(f"kubeadm-verify: {variable}={value!r}: {exc.message}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(verb_of(argv))
    try:
        apply_environment(parser, argv)
        args = parser.parse_args(argv)
    except _UsageFailure as exc:
        _say(str(exc))
        return _usage_exit(argv, str(exc))
    started = time.time()
    try:
        with interruptible():
            _check_outputs(args)
            return _run_verb(args)
    except KeyboardInterrupt:
        _report_unless_written(args, started, "interrupted")
        _say("kubeadm-verify: interrupted")
        return ExitStatus.INTERRUPTED
    except VerifyError as exc:
        if args.debug:
            raise
        _say(f"kubeadm-verify: {exc}")
        return ExitStatus.CANNOT_START
    except Exception as exc:  # a bug or an unforeseen fault: still a report and one line
        if args.debug:
            raise
        return _internal_error(args, exc, started)


def _run_verb(args: argparse.Namespace) -> int:
    """Run the verb; the cluster-facing ones inside their own private temporary directory."""
    if args.verb != "node":  # the node tier runs for a blink and loads no library that logs
        gc.enable()  # the console entry starts with it off (kubeadm_verify.__main__)
        quiet_library_logging()
    command = importlib.import_module(f"kubeadm_verify.cli.{args.verb}")
    if args.verb not in ("cluster", "e2e"):
        return int(command.run(args))
    with private_tempdir():
        return int(command.run(args))


def _check_outputs(args: argparse.Namespace) -> None:
    """A run that will write reports proves first that it can (before any cluster comes up)."""
    if args.verb not in TIERS or any(
        getattr(args, flag, False) for flag in ("list", "dry_run", "cleanup")
    ):
        return
    check_output_dir(args.output_dir, args.verb)


def _internal_error(args: argparse.Namespace, exc: Exception, started: float) -> int:
    """An exception no layer below turned into a result: an ``error`` entry, one line, exit 1."""
    line = f"kubeadm-verify: {args.verb} failed: {type(exc).__name__}: {exc}"
    line = " ".join(line.split())
    _report_unless_written(args, started, line.removeprefix("kubeadm-verify: "))
    _say(line)
    return ExitStatus.FAILED


def _report_unless_written(args: argparse.Namespace, since: float, message: str) -> None:
    """Leave a report with one ``error`` entry, unless the verb wrote one itself since ``since``
    (its partial results say more than we can)."""
    if args.verb not in TIERS:
        return
    from kubeadm_verify.cli.common import write_start_failure

    written = os.path.join(args.output_dir, args.verb, "results.json")
    with contextlib.suppress(OSError):
        if os.stat(written).st_mtime >= since:
            return
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
    from kubeadm_verify.redact import one_line  # its patterns are compiled on import: errors only

    stderr.line(one_line(line))


def _usage_exit(argv: Sequence[str], message: str) -> int:
    """A usage error on a checking verb still leaves its reports behind, with one error entry."""
    from kubeadm_verify.cli.common import write_start_failure

    tier = next((word for word in argv if word in TIERS), None)
    if tier is not None:
        output = _option_value(argv, "--output-dir") or os.environ.get(ENV_PREFIX + "OUTPUT_DIR")
        write_start_failure(tier, output or "reports", message)
    return ExitStatus.CANNOT_START


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None
