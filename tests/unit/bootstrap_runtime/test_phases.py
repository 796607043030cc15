"""The phase list: kubeadm's names and order, selection by name, errors named after the phase."""

from __future__ import annotations

import pytest

from bootstrap import phases
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases.preflight import NOT_A_NODE, ignores_for
from bootstrap.runtime.state import StateDir
from kubeadm_verify.errors import BootstrapError, UsageError

KUBEADM_ORDER = [
    "preflight",
    "certs/ca",
    "certs/apiserver",
    "certs/apiserver-kubelet-client",
    "certs/front-proxy-ca",
    "certs/front-proxy-client",
    "certs/etcd-ca",
    "certs/etcd-server",
    "certs/etcd-peer",
    "certs/etcd-healthcheck-client",
    "certs/apiserver-etcd-client",
    "certs/sa",
    "kubeconfig/admin",
    "kubeconfig/super-admin",
    "kubeconfig/kubelet",
    "kubeconfig/controller-manager",
    "kubeconfig/scheduler",
    "etcd/local",
    "control-plane/apiserver",
    "control-plane/controller-manager",
    "control-plane/scheduler",
    "wait-control-plane",
    "upload-config/kubeadm",
    "upload-config/kubelet",
    "mark-control-plane",
    "bootstrap-token",
    "addon/coredns",
    "addon/kube-proxy",
    "show-join-command",
]


def test_names_and_order_are_kubeadms() -> None:
    assert phases.names() == KUBEADM_ORDER


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("certs/ca", ["certs/ca"]),
        ("preflight", ["preflight"]),
        ("addon", ["addon/coredns", "addon/kube-proxy"]),
        ("upload-config/all", ["upload-config/kubeadm", "upload-config/kubelet"]),
        ("kubeconfig", [name for name in KUBEADM_ORDER if name.startswith("kubeconfig/")]),
    ],
)
def test_select(name: str, expected: list[str]) -> None:
    assert [phase.name for phase in phases.select(name)] == expected


def test_unknown_phase_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown phase 'cert'.*certs"):
        phases.select("cert")


def test_a_failure_names_its_phase(config: BootstrapConfig, state: StateDir) -> None:
    def broken(config: BootstrapConfig, state: StateDir, log: object) -> None:
        raise BootstrapError("kube-apiserver exited with status 1; see x.log")

    lines: list[str] = []
    with pytest.raises(BootstrapError) as caught:
        phases.run(
            [phases.Phase("control-plane/apiserver", "", broken)], config, state, lines.append
        )
    assert str(caught.value) == (
        "error execution phase control-plane/apiserver: "
        "kube-apiserver exited with status 1; see x.log"
    )
    assert lines == [f'[control-plane] Using manifest folder "{state.manifests}"']


def test_skipped_phases_do_not_run(config: BootstrapConfig, state: StateDir) -> None:
    ran: list[str] = []

    def record(name: str) -> phases.PhaseRun:
        return lambda config, state, log: ran.append(name)

    listed = [phases.Phase(name, "", record(name)) for name in ("preflight", "a/x", "a/y", "b")]
    phases.run(listed, config, state, lambda line: None, skip=("preflight", "a"))
    assert ran == ["b"]


def test_certs_and_kubeconfig_phases_are_idempotent(
    kv_bootstrap_config: BootstrapConfig, kv_state: StateDir
) -> None:
    selected = [*phases.select("certs"), *phases.select("kubeconfig")]
    first: list[str] = []
    phases.run(selected, kv_bootstrap_config, kv_state, first.append)
    ca = (kv_state.pki / "ca.crt").read_bytes()
    again: list[str] = []
    phases.run(selected, kv_bootstrap_config, kv_state, again.append)
    assert '[certs] Generating "ca" certificate and key' in first
    assert not any("Generating" in line for line in again)
    assert (kv_state.pki / "ca.crt").read_bytes() == ca
    assert oct(kv_state.pki.joinpath("ca.key").stat().st_mode & 0o777) == "0o600"


def test_manifests_stage_needs_no_process(kv_manifests: StateDir) -> None:
    from bootstrap.kubeadm import components
    from bootstrap.phases import manifests as manifests

    for component in components.COMPONENTS:
        assert manifests.manifest_command(kv_manifests, component) is not None
    assert kv_manifests.processes() == []


def test_preflight_ignores(config: BootstrapConfig, moved: BootstrapConfig) -> None:
    at_defaults = ignores_for(config)
    assert "port-6443" not in at_defaults
    assert {name.lower() for name in NOT_A_NODE} <= set(at_defaults)
    assert {"port-6443", "port-2379", "port-2380", "port-10257", "port-10259"} <= set(
        ignores_for(moved)
    )
