"""The whole command line as argparse reads it: every verb's options, ``--help`` with examples,
and the ``KUBEADM_VERIFY_<OPTION>`` variables.

Imported for every verb but a plainly valid ``kubeadm-verify node``, which
``kubeadm_verify.cli.fastpath`` reads from the same declarations (``kubeadm_verify.cli.options``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

from kubeadm_verify import __version__
from kubeadm_verify.cli.options import (
    ENV_PREFIX,
    FALSE_WORDS,
    NODE_OPTIONS,
    TRUE_WORDS,
    Option,
    UsageFailure,
)


class _Parser(argparse.ArgumentParser):
    """argparse exits on bad usage; we raise so the caller decides and reports stay consistent."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageFailure(f"{self.prog}: {message}")


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
    for option in NODE_OPTIONS:
        add_option(node, option)


def add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """``option`` as an argparse flag: a declared option becomes the same flag everywhere."""
    if option.flag:
        parser.add_argument(f"--{option.name}", action="store_true", help=option.help)
        return
    parser.add_argument(
        f"--{option.name}",
        default=option.default,
        choices=list(option.choices) or None,
        metavar=option.metavar,
        help=option.help,
    )


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


def _env_value(
    parser: argparse.ArgumentParser, action: argparse.Action, variable: str, value: str
) -> object:
    """``value`` converted and checked by the parser's rules for ``action``."""
    if action.nargs == 0:
        if value.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise UsageFailure(
                f"kubeadm-verify: {variable}={value!r}: expected one of "
                f"{', '.join(TRUE_WORDS + FALSE_WORDS[1:])} (or empty)"
            )
        return value.lower() in TRUE_WORDS
    try:
        return parser._get_values(action, [value])
    except argparse.ArgumentError as exc:
        raise UsageFailure(f"kubeadm-verify: {variable}={value!r}: {exc.message}") from exc


def parse(argv: Sequence[str], verb: str | None) -> argparse.Namespace:
    """``argv`` read by argparse with the environment applied; ``UsageFailure`` when unusable."""
    parser = build_parser(verb)
    apply_environment(parser, argv)
    return parser.parse_args(argv)


__all__ = ["VERBS", "add_option", "apply_environment", "build_parser", "parse"]
