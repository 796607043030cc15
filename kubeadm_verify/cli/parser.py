"""The whole command line as argparse reads it, built from the declarations: every verb's
options, ``--help`` with examples, and the ``KUBEADM_VERIFY_<OPTION>`` variables.

Imported for every verb but a plainly valid ``kubeadm-verify node``, which
``kubeadm_verify.cli.fastpath`` reads from the same declarations (``kubeadm_verify.options``).
Nothing here declares an option: each verb's are ``kubeadm_verify.verboptions.VERBS``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from kubeadm_verify import __version__
from kubeadm_verify.options import (
    FALSE_WORDS,
    TOP_LEVEL_FLAGS,
    TRUE_WORDS,
    Option,
    UsageFailure,
)
from kubeadm_verify.verboptions import VERBS, Verb


class _Parser(argparse.ArgumentParser):
    """argparse exits on bad usage; we raise so the caller decides and reports stay consistent."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageFailure(f"{self.prog}: {message}")


def add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """``option`` as an argparse flag: a declared option becomes the same flag everywhere."""
    option.add_to(parser.add_argument)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or, given the ``verb`` being run, every verb with that one's
    options only: argparse builds a formatter per option, and the other verbs' ~40 options are
    a measurable share of a ``kubeadm-verify node`` run. Parsing and ``--help`` of the verb run
    are the same either way."""
    parser = _Parser(prog="kubeadm-verify", description="Verify Kubernetes nodes and clusters.")
    parser.add_argument("--version", action="version", version=f"kubeadm-verify {__version__}")
    for option in TOP_LEVEL_FLAGS:
        add_option(parser, option)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for name, declared in VERBS.items():
        sub = verbs.add_parser(
            name,
            help=declared.summary,
            description=declared.summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if verb is None or verb == name:
            for option in declared.options:
                add_option(sub, option)
            sub.epilog = _epilog(declared)
    return parser


def _epilog(verb: Verb) -> str:
    """kubectl's convention: an ``Examples:`` block, then the ``KUBEADM_VERIFY_<OPTION>`` rule
    shown with the verb's own first option."""
    examples = "\n".join("  " + example.replace("\n", "\n  ") for example in verb.examples)
    first = next(option for option in verb.options if not option.positional)
    return (
        f"Examples:\n{examples}\n\n"
        "Every option can also be set in the environment as KUBEADM_VERIFY_<OPTION>\n"
        f"(--{first.name} as {first.variable}); a flag given on the command line wins."
    )


def apply_environment(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Let ``KUBEADM_VERIFY_<OPTION>`` set any declared option the command line leaves unset.

    The variables are the declarations' (``Option.variable``) of the top level and of the verb
    ``argv`` runs; each value goes through the option's own ``type`` and ``choices``, as a flag
    would, and a bad value is a usage error that names the variable.
    """
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    verb = next((word for word in argv if word in verbs.choices), None)
    targets: list[tuple[argparse.ArgumentParser, Sequence[Option]]] = [(parser, TOP_LEVEL_FLAGS)]
    if verb is not None:
        targets.append((verbs.choices[verb], VERBS[verb].options))
    for target, options in targets:
        actions = {action.dest: action for action in target._actions}
        for option in options:
            value = os.environ.get(option.variable)
            if value is None or option.positional or option.dest not in actions:
                continue
            converted = _env_value(target, actions[option.dest], option.variable, value)
            target.set_defaults(**{option.dest: converted})


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


__all__ = ["add_option", "apply_environment", "build_parser", "parse"]
