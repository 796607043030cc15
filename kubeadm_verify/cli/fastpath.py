"""``kubeadm-verify node``'s command line read without argparse, when it is plainly valid.

argparse (with gettext and the locale lookup behind it) and the building of every option's
formatter are a measurable share of the node verb, which is timed against kubeadm's own
preflight. This reader takes the same table (``kubeadm_verify.options``) and gives the same
values, or ``None`` for anything that is not a plain, valid use of long options: ``--help``, an
abbreviation, a bad choice or variable, a stray word. argparse then reads that command line as
before, with its own messages, so a usage error reads the same either way
(``tests/unit/core/test_fastpath.py`` compares the two over many command lines).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

from kubeadm_verify.options import (
    FALSE_WORDS,
    NODE_OPTIONS,
    TOP_LEVEL_FLAGS,
    TRUE_WORDS,
    Option,
)

_BY_FLAG = {f"--{option.name}": option for option in NODE_OPTIONS}


def node_arguments(
    argv: Sequence[str], environ: Mapping[str, str] | None = None
) -> SimpleNamespace | None:
    """The parsed ``kubeadm-verify node ...`` command line, or ``None`` to leave it to argparse."""
    environ = os.environ if environ is None else environ
    words = list(argv)
    debug = False
    while words and words[0] == "--debug":
        debug, words = True, words[1:]
    if not words or words[0] != "node":
        return None
    given = _given(words[1:])
    if given is None:
        return None
    values: dict[str, object] = {"verb": "node"}
    for option in (*TOP_LEVEL_FLAGS, *NODE_OPTIONS):
        value = given.get(option.dest)
        if value is None:
            value = _from_environment(option, environ)
            if value is _INVALID:
                return None
        values[option.dest] = option.default if value is None else value
    if debug:
        values["debug"] = True
    return SimpleNamespace(**values)


def _given(words: list[str]) -> dict[str, object] | None:
    """The node options on the command line (the last of a repeated one wins, as in argparse)."""
    given: dict[str, object] = {}
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, inline = word.partition("=")
        option = _BY_FLAG.get(flag)
        if option is None:
            return None
        if option.flag:
            if equals:
                return None
            given[option.dest] = True
            index += 1
            continue
        if equals:
            value = inline
            index += 1
        elif index + 1 < len(words) and not words[index + 1].startswith("-"):
            value = words[index + 1]
            index += 2
        else:
            return None
        converted = _converted(option, value)
        if converted is _INVALID:
            return None
        given[option.dest] = converted
    return given


_INVALID = object()


def _from_environment(option: Option, environ: Mapping[str, str]) -> object:
    """The option's ``KUBEADM_VERIFY_*`` value; ``None`` when unset, ``_INVALID`` when argparse's
    reading would refuse it (it then says why, naming the variable)."""
    raw = environ.get(option.variable)
    if raw is None:
        return None
    if option.flag:
        lowered = raw.lower()
        if lowered not in TRUE_WORDS + FALSE_WORDS:
            return _INVALID
        return lowered in TRUE_WORDS
    return _converted(option, raw)


def _converted(option: Option, value: str) -> object:
    """``value`` as argparse's rules for ``option`` give it, or ``_INVALID`` where they refuse."""
    if option.choices and value not in option.choices:
        return _INVALID
    if option.number:
        try:
            return int(value)  # argparse's own conversion for a whole number
        except ValueError:
            return _INVALID
    return value


__all__ = ["node_arguments"]
