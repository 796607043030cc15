"""One settings pipeline: every option of every verb, and of the tiers' pytest plugins, comes
from its declaration (``kubeadm_verify.options``, ``kubeadm_verify.verboptions``), with help
text; each ``KUBEADM_VERIFY_*`` variable is a declaration's."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubeadm_verify.cli.parser import build_parser, parse
from kubeadm_verify.options import (
    NODE_PLUGIN_OPTIONS,
    TOP_LEVEL_FLAGS,
    VERB_NAMES,
    Option,
    UsageFailure,
)
from kubeadm_verify.verboptions import FIXTURE_OPTIONS, STANDARD_BASE_PLUGIN_OPTIONS, VERBS

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(60)  # each test: a command line read, or --help run
CLI = REPO / "kubeadm_verify" / "cli"


def _verb_parsers() -> dict[str, argparse.ArgumentParser]:
    verbs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(verbs.choices)


def _shape(option: Option) -> tuple[object, ...]:
    return (option.dest, option.help, option.default, option.choices, option.number, option.flag)


def _action_shape(action: argparse.Action) -> tuple[object, ...]:
    return (
        action.dest,
        action.help,
        action.default,
        tuple(action.choices or ()),
        action.type is int,
        action.nargs == 0,
    )


def test_the_declared_verbs_are_the_cli_verbs() -> None:
    assert tuple(VERBS) == VERB_NAMES
    assert tuple(_verb_parsers()) == VERB_NAMES


@pytest.mark.parametrize("verb", VERB_NAMES)
def test_a_verb_has_no_option_outside_its_declarations(verb: str) -> None:
    """argparse's options of each verb are exactly its declared ones, each as declared: an
    option added to the parser by hand (or a declaration changed on one side) fails here."""
    sub = _verb_parsers()[verb]
    built = [_action_shape(a) for a in sub._actions if a.dest != "help"]
    assert built == [_shape(option) for option in VERBS[verb].options]
    top = [a for a in build_parser()._actions if a.dest not in ("help", "version", "verb")]
    assert [_action_shape(a) for a in top] == [_shape(o) for o in TOP_LEVEL_FLAGS]


def test_every_declared_option_says_what_it_does() -> None:
    options = [o for verb in VERBS.values() for o in verb.options]
    options += [*TOP_LEVEL_FLAGS, *NODE_PLUGIN_OPTIONS, *STANDARD_BASE_PLUGIN_OPTIONS]
    options += FIXTURE_OPTIONS
    assert [o.name for o in options if not o.help.strip()] == []


def test_an_option_shared_by_two_verbs_is_one_declaration() -> None:
    """The same name on two verbs is the same declaration unless what it means differs; the
    differences allowed are listed, each with what tells them apart."""
    apart = {
        "list": "node lists checks, cluster lists tests",
        "format": "node prints kubeadm's preflight lines",
        "config": "node checks a configuration; the others bring one up",
        "kubernetes-version": "node and e2e check or pick one; up and binaries run one",
        "parallel": "cluster runs one test at a time by default, e2e the mode's number",
        "nodes": "up joins none by default, join one",
        "kubeadm": "up brings a cluster up with it (alone: the pinned one); upgrade upgrades "
        "with a new release's",
    }
    seen: dict[str, list[Option]] = {}
    for verb in VERBS.values():
        for option in verb.options:
            if all(option is not other for other in seen.get(option.name, [])):
                seen.setdefault(option.name, []).append(option)
    twice = {name for name, options in seen.items() if len(options) > 1}
    assert twice <= set(apart), twice - set(apart)


def test_the_plugins_options_are_declared_ones(pytestconfig: pytest.Config) -> None:
    """Every option the tiers' plugins give pytest is declared (same names, help, type and
    choices); a plugin option added by hand fails here."""
    declared = {
        f"--{o.name}": o
        for o in (*NODE_PLUGIN_OPTIONS, *STANDARD_BASE_PLUGIN_OPTIONS, *FIXTURE_OPTIONS)
    }
    groups = [g for g in pytestconfig._parser._groups if g.name.startswith("kubeadm-verify")]
    given = {name: option for g in groups for option in g.options for name in option.names()}
    assert sorted(given) == sorted(declared)
    for name, argument in given.items():
        attrs = argument.attrs()
        option = declared[name]
        assert attrs.get("help") == option.help, name
        assert tuple(attrs.get("choices") or ()) == option.choices, name
        assert (attrs.get("type") is int) == option.number, name


def test_a_shared_plugin_option_reads_as_the_verbs() -> None:
    """``--kv-focus`` is ``cluster --focus``, ``--node-root`` is ``node --root``: one help, type,
    default and choices. The two the fixtures hold apart are listed with why."""
    apart = {
        "kv-kubeconfig": "without it the fixtures bring a cluster up, not look where kubectl would",
        "kv-simulated-nodes": "the fixtures' default is 2 kwok nodes (0 with real ones), up's 0",
    }
    for prefix, verb, options in (
        ("node-", "node", NODE_PLUGIN_OPTIONS),
        ("kv-", "cluster", STANDARD_BASE_PLUGIN_OPTIONS),
        ("kv-", "up", FIXTURE_OPTIONS),
        ("kv-", "cluster", FIXTURE_OPTIONS),
    ):
        by_name = {o.name: o for o in VERBS[verb].options}
        for option in options:
            base = by_name.get(option.name.removeprefix(prefix))
            if base is not None and option.name not in apart:
                assert _shape(option)[1:] == _shape(base)[1:], option.name


def _valid_value(option: Option) -> tuple[str, object]:
    if option.flag:
        return "yes", True
    if option.choices:
        return option.choices[-1], option.choices[-1]
    if option.number:
        return "7", 7
    return "from-the-environment", "from-the-environment"


@pytest.mark.parametrize("verb", VERB_NAMES)
def test_every_declared_option_has_its_variable(verb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each option a verb declares is set by its ``KUBEADM_VERIFY_<OPTION>``, and the flag wins."""
    positional = [o for o in VERBS[verb].options if o.positional]
    argv = [verb, *("certs/apiserver" for _ in positional)]
    for option in VERBS[verb].options:
        if option.positional:
            continue
        raw, expected = _valid_value(option)
        monkeypatch.setenv(option.variable, raw)
        assert getattr(parse(argv, verb), option.dest) == expected, option.variable
        monkeypatch.delenv(option.variable)
    for option in positional:
        monkeypatch.setenv(option.variable, "ignored")
        assert getattr(parse(argv, verb), option.dest) == "certs/apiserver"


@pytest.mark.parametrize("verb", VERB_NAMES)
def test_every_verbs_help_shows_examples_and_every_option(verb: str) -> None:
    """``kubeadm-verify <verb> --help`` as a user runs it: an ``Examples:`` block of the verb's
    own uses, and every declared option with its help."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEADM_VERIFY_")}
    env |= {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", verb, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 20
    assert done.returncode == 0, done.stderr
    examples = done.stdout.split("\nExamples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and f"kubeadm-verify {verb}" in examples[0]
    for option in VERBS[verb].options:
        shown = option.metavar if option.positional else f"--{option.name}"
        assert f"{shown} " in done.stdout and " ".join(option.help.split()) in " ".join(
            done.stdout.split()
        ), option.name


def test_a_bad_variable_in_process_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEADM_VERIFY_SIMULATED_NODES", "lots")
    with pytest.raises(UsageFailure, match="KUBEADM_VERIFY_SIMULATED_NODES='lots'"):
        parse(["up"], "up")


def test_the_role_choices_are_the_settings_roles() -> None:
    """``--role`` and ``--node-role`` refuse what ``NodeSettings`` would refuse, and no more."""
    from kubeadm_verify.nodesettings import ROLES
    from kubeadm_verify.options import NODE_OPTIONS, named

    assert named(NODE_OPTIONS, "role")[0].choices == ROLES
