"""The node verb's command line read without argparse gives what argparse gives, or defers.

``kubeadm_verify.cli.fastpath`` reads a plain ``kubeadm-verify node`` command line from the same
declarations argparse is built from; whatever it is unsure of it leaves to argparse. Each case
below is read both ways: where the fast reader answers, every attribute must equal argparse's;
where argparse refuses or acts (``--help``), the fast reader must have deferred.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest

from kubeadm_verify.cli.fastpath import node_arguments
from kubeadm_verify.cli.parser import apply_environment, build_parser
from kubeadm_verify.options import NODE_OPTIONS, UsageFailure

COMMAND_LINES: list[tuple[list[str], dict[str, str]]] = [
    (["node"], {}),
    (["--debug", "node", "--format", "json"], {}),
    (["node", "--format=json", "--output-dir", "out", "--root", "/"], {}),
    (["node", "--config", "kubeadm.yaml", "--ignore-preflight-errors", "Swap,NumCPU"], {}),
    (["node", "--role", "worker", "--kubernetes-version", "v1.36.0", "--pull-images"], {}),
    (["node", "--list"], {}),
    (["node", "--format", "json", "--format", "text"], {}),  # the last one wins
    (["node", "--ignore-preflight-errors="], {}),
    (["node"], {"KUBEADM_VERIFY_FORMAT": "json", "KUBEADM_VERIFY_PULL_IMAGES": "yes"}),
    (["node", "--format", "text"], {"KUBEADM_VERIFY_FORMAT": "json"}),  # a flag wins
    (["node"], {"KUBEADM_VERIFY_DEBUG": "1", "KUBEADM_VERIFY_LIST": "off"}),
    (["node"], {"KUBEADM_VERIFY_ROLE": "worker", "KUBEADM_VERIFY_CONFIG": "c.yaml"}),
    (["node"], {"KUBEADM_VERIFY_PULL_IMAGES": ""}),
    # what the fast reader must leave to argparse
    (["node", "--help"], {}),
    (["node", "-h"], {}),
    (["node", "--conf", "kubeadm.yaml"], {}),  # argparse's abbreviation
    (["node", "--format", "xml"], {}),
    (["node", "--role"], {}),
    (["node", "--root", "--list"], {}),
    (["node", "--list=yes"], {}),
    (["node", "stray"], {}),
    (["node", "--debug"], {}),
    (["node", "--nodes", "2"], {}),
    (["node"], {"KUBEADM_VERIFY_FORMAT": "xml"}),
    (["node"], {"KUBEADM_VERIFY_PULL_IMAGES": "maybe"}),
    (["node"], {"KUBEADM_VERIFY_DEBUG": "perhaps"}),
    (["--version", "node"], {}),
    (["cluster"], {}),
]


def _through_argparse(argv: list[str], environ: dict[str, str]) -> dict[str, object] | None:
    """argparse's attributes, or ``None`` when it refuses the command line or acts on it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        parser = build_parser("node")
        try:
            apply_environment(parser, argv)
            with contextlib.redirect_stdout(io.StringIO()):
                return vars(parser.parse_args(argv))
        except (UsageFailure, SystemExit):
            return None


@pytest.mark.parametrize(("argv", "environ"), COMMAND_LINES, ids=lambda v: repr(v))
def test_the_fast_reader_agrees_with_argparse_or_defers(
    argv: list[str], environ: dict[str, str]
) -> None:
    fast = node_arguments(argv, environ)
    slow = _through_argparse(argv, environ)
    if slow is None:
        assert fast is None, "argparse refuses or acts on this command line; the fast one must not"
    elif fast is not None:
        assert vars(fast) == slow


def test_plain_command_lines_take_the_fast_path() -> None:
    """Every plain use above is read without argparse: the fast path is the usual path."""
    assert all(node_arguments(argv, environ) is not None for argv, environ in COMMAND_LINES[:13])


def test_a_bad_variable_still_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kubeadm_verify.cli import main

    monkeypatch.setenv("KUBEADM_VERIFY_FORMAT", "xml")
    monkeypatch.setenv("KUBEADM_VERIFY_OUTPUT_DIR", str(tmp_path))
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        assert main(["node", "--list"]) == 2
    assert "KUBEADM_VERIFY_FORMAT" in errors.getvalue()


def test_every_node_option_is_one_argparse_flag() -> None:
    verbs = next(
        a for a in build_parser("node")._actions if isinstance(a, argparse._SubParsersAction)
    )
    sub = verbs.choices["node"]
    flags = {o for a in sub._actions for o in a.option_strings if o not in ("-h", "--help")}
    assert flags == {f"--{option.name}" for option in NODE_OPTIONS}
