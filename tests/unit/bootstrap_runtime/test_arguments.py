"""kubeadm v1.37's ``ArgumentsToCommand``: sorted defaults, then the user's overrides in order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bootstrap.kubeadm.components import arguments_to_command, authorization_modes
from bootstrap.kubeadm.config import parse_config
from bootstrap.kubeadm.configtypes import ExtraArg


def args(*pairs: tuple[str, str]) -> list[ExtraArg]:
    return [ExtraArg(name, value) for name, value in pairs]


def test_defaults_are_sorted_by_name_then_value() -> None:
    base = args(("secure-port", "6443"), ("allow-privileged", "true"), ("a", "2"), ("a", "1"))
    assert arguments_to_command(base, []) == [
        "--a=1",
        "--a=2",
        "--allow-privileged=true",
        "--secure-port=6443",
    ]


def test_an_override_replaces_every_default_of_its_name_and_goes_last() -> None:
    base = args(("a", "1"), ("a", "2"), ("b", "x"), ("c", "y"))
    assert arguments_to_command(base, args(("a", "9"))) == ["--b=x", "--c=y", "--a=9"]


def test_overrides_keep_the_users_order_and_repeats() -> None:
    base = args(("service-account-issuer", "https://default"), ("z", "1"))
    overrides = args(
        ("service-account-issuer", "https://new"),
        ("b", "2"),
        ("service-account-issuer", "https://default"),
    )
    assert arguments_to_command(base, overrides) == [
        "--z=1",
        "--service-account-issuer=https://new",
        "--b=2",
        "--service-account-issuer=https://default",
    ]


def test_an_empty_value_is_passed_as_empty() -> None:
    assert arguments_to_command(args(("a", "1")), args(("a", ""))) == ["--a="]


def test_a_value_may_contain_equals_signs() -> None:
    assert arguments_to_command([], args(("feature-gates", "A=true,B=false"))) == [
        "--feature-gates=A=true,B=false"
    ]


CONFIG = """
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
{args}
"""


@pytest.mark.parametrize(
    "form",
    [
        # v1beta4: a list of {name, value}, repeats allowed
        textwrap.indent("- name: v\n  value: '4'\n- name: audit-log-maxage\n  value: '2'\n", "  "),
    ],
)
def test_extra_args_reach_the_command(form: str) -> None:
    from bootstrap.kubeadm.components import apiserver_command
    from bootstrap.runtime.state import StateDir

    config = parse_config(CONFIG.format(args=form)).config
    command = apiserver_command(config, StateDir(Path("/s"), "x"))
    assert {"--v=4", "--audit-log-maxage=2"} <= set(command)
    tail = command[-2:]
    assert sorted(tail) == ["--audit-log-maxage=2", "--v=4"]


def test_authorization_modes_keep_only_known_modes() -> None:
    assert authorization_modes(None) == "Node,RBAC"
    assert authorization_modes("RBAC,Bogus") == "RBAC"
    assert authorization_modes("Bogus") == "Node,RBAC"
