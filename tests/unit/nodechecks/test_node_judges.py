"""The pure judges behind the checks: verdicts and kubeadm's messages from facts."""

from __future__ import annotations

import pytest

from kubeadm_verify.results import Status
from nodechecks.checks import beyond_host as bh
from nodechecks.checks.beyond_disk import judge_disk
from nodechecks.checks.beyond_kernel import ModuleEvidence, judge_bridge_nf, judge_module
from nodechecks.checks.common import judge_swap
from nodechecks.checks.controlplane import (
    judge_firewalld,
    judge_http_proxy,
    judge_http_proxy_cidrs,
)
from nodechecks.checks.kinds import judge_port
from nodechecks.checks.node import judge_hostname, judge_kubelet_version, qualified_name_errors
from nodechecks.checks.system import judge_kubernetes_version, judge_mem, judge_num_cpu
from nodechecks.parsers import net
from nodechecks.parsers.procfs import SwapEntry, parse_swaps
from nodechecks.versions import Version, minimum_kubelet_version
from tests.unit.nodechecks.node_roots import FABRICATED


def sockets() -> list[net.TcpSocket]:
    return net.parse_proc_net_tcp(
        (FABRICATED / "net-tcp-listeners").read_text()
    ) + net.parse_proc_net_tcp((FABRICATED / "net-tcp6-listeners").read_text())


@pytest.mark.parametrize(
    ("port", "status"),
    [
        (6443, Status.FAIL),
        (2379, Status.FAIL),
        (10250, Status.FAIL),
        (2380, Status.PASS),
        (10259, Status.PASS),
        (10257, Status.PASS),
    ],
)
def test_port_listen_versus_connected(port: int, status: Status) -> None:
    finding = judge_port(port, sockets())
    assert finding.status is status
    if status is Status.FAIL:
        assert finding.message == f"Port {port} is in use"


def test_num_cpu_and_mem_boundaries() -> None:
    assert judge_num_cpu(1).message == "the number of available CPUs 1 is less than the required 2"
    assert judge_num_cpu(2).status is Status.PASS
    assert judge_mem(1700).status is Status.PASS
    low = judge_mem(1699)
    assert (low.status, low.message) == (
        Status.FAIL,
        "the system RAM (1699 MB) is less than the minimum 1700 MB",
    )


def test_kubernetes_version() -> None:
    assert judge_kubernetes_version("v1.37.2").status is Status.PASS
    newer = judge_kubernetes_version("v1.38.0-alpha.1")
    assert newer.status is Status.WARN and "Kubeadm version: 1.37.x" in newer.message
    assert judge_kubernetes_version("latest").status is Status.FAIL


def test_swap_messages_depend_on_cgroup_version() -> None:
    on = parse_swaps((FABRICATED / "swaps-on").read_text())
    v2 = judge_swap(on, 2)
    assert v2.status is Status.WARN
    assert v2.message.startswith("swap is supported for cgroup v2 only")
    v1 = judge_swap(on, 1)
    assert v1.status is Status.WARN and "cgroup v1 host" in v1.message
    assert judge_swap([], 1).status is Status.PASS
    absent = judge_swap(None, None)  # kubeadm passes; not having looked is not a pass
    assert (absent.status, absent.message) == (
        Status.WARN,
        "cannot determine whether swap is on: /proc/swaps does not exist",
    )
    assert judge_swap([SwapEntry("/s", "file", 1, 0, -2)], None).status is Status.WARN


def test_kubelet_version_skew() -> None:
    minimum = minimum_kubelet_version()
    assert str(minimum) == "v1.34.0"
    target = Version.parse("v1.37.2")
    assert judge_kubelet_version(Version.parse("1.36.3"), "", target, minimum).status is Status.PASS
    old = judge_kubelet_version(Version.parse("1.33.9"), "", target, minimum)
    assert old.message == (
        'Kubelet version "1.33.9" is lower than kubeadm can support. Please upgrade kubelet'
    )
    newer = judge_kubelet_version(Version.parse("1.38.0"), "", target, minimum)
    assert newer.status is Status.FAIL and 'Control plane version: "1.37.2"' in newer.message
    # join knows no control-plane version: no skew check
    assert judge_kubelet_version(Version.parse("1.38.0"), "", None, minimum).status is Status.PASS
    missing = judge_kubelet_version(None, "not found", target, minimum)
    assert missing.message == "couldn't get kubelet version: not found"


def test_qualified_names_and_hostname() -> None:
    assert qualified_name_errors("node-1") == []
    assert qualified_name_errors("Node_1") == []  # kubeadm's rule allows it...
    assert qualified_name_errors("-bad-") and qualified_name_errors("a" * 64)
    upper = judge_hostname("Node_1", ["10.0.0.1"], "")
    # ...the kubelet does not: noted, but the verdict stays kubeadm's
    assert upper.status is Status.PASS and "RFC 1123" in upper.details["notes"][0]
    assert judge_hostname("node-1", ["10.0.0.1"], "").status is Status.PASS
    unreached = judge_hostname("node-1", [], "lookup node-1: Name or service not known")
    assert unreached.message.splitlines() == [
        'hostname "node-1" could not be reached',
        'hostname "node-1": lookup node-1: Name or service not known',
    ]
    unknown = judge_hostname("node-1", None, "DNS is not asked under --root")
    assert unknown.status is Status.WARN and unknown.message.startswith("cannot determine")


def test_http_proxy() -> None:
    env = {"HTTPS_PROXY": "proxy.corp:3128", "NO_PROXY": "localhost,.svc,10.96.0.0/12"}
    finding = judge_http_proxy("192.168.1.10", env)
    assert finding.message == (
        'Connection to "https://192.168.1.10" uses proxy '
        '"http://proxy.corp:3128". If that is not intended, adjust your '
        "proxy settings"
    )
    assert judge_http_proxy("192.168.1.10", {**env, "NO_PROXY": "192.168.0.0/16"}).status is (
        Status.PASS
    )
    assert judge_http_proxy("127.0.0.1", env).status is Status.PASS  # loopback is never proxied
    v6 = judge_http_proxy("fd00::10", env)
    assert '"https://[fd00::10]:1234"' in v6.message
    cidrs = judge_http_proxy_cidrs(["10.96.0.0/12", "10.244.0.0/16"], env)
    assert cidrs.status is Status.WARN
    assert cidrs.message.startswith('connection to "10.244.0.0/16" uses proxy')
    assert judge_http_proxy_cidrs(["10.96.0.0/12"], env).status is Status.PASS
    assert judge_http_proxy_cidrs(["10.96.0.0/33"], env).status is Status.FAIL
    assert judge_http_proxy_cidrs(["10.96.0.0/12"], {}).status is Status.PASS


def test_firewalld() -> None:
    assert judge_firewalld(False, None, [6443, 10250]).status is Status.PASS
    active = judge_firewalld(True, True, [6443, 10250])
    assert active.message == (
        "firewalld is active, please ensure ports [6443 10250] are open or "
        "your cluster may not function correctly"
    )
    assert judge_firewalld(True, None, [6443]).message.startswith("cannot determine")


def test_modules() -> None:
    assert judge_module("overlay", ModuleEvidence(loaded=True)).status is Status.PASS
    assert judge_module("br_netfilter", ModuleEvidence(loaded=False, builtin=True)).message == (
        "br_netfilter is built into the kernel"
    )
    loadable = judge_module("br_netfilter", ModuleEvidence(loaded=False, loadable=True))
    assert loadable.status is Status.PASS and "modprobe" in loadable.message
    assert judge_module("overlay", ModuleEvidence(loaded=False, config="m")).status is Status.WARN
    absent = judge_module("overlay", ModuleEvidence(loaded=False, builtin=False, loadable=False))
    assert absent.status is Status.WARN and "not loaded, built in or loadable" in absent.message
    nothing = judge_module("overlay", ModuleEvidence())
    assert nothing.message.startswith("cannot determine")
    assert judge_bridge_nf(None).status is Status.WARN
    assert judge_bridge_nf("0\n").status is Status.WARN
    assert judge_bridge_nf("1\n").status is Status.PASS


def test_cgroup_driver() -> None:
    v2 = (FABRICATED / "containerd-config-v2.toml").read_text()
    v3 = (FABRICATED / "containerd-config-v3.toml").read_text()
    assert bh.containerd_cgroup_driver(v2) == "systemd"
    assert bh.containerd_cgroup_driver(v3) == "cgroupfs"
    assert bh.containerd_cgroup_driver("version = 2\n") == "cgroupfs"
    assert bh.crio_cgroup_driver(['[crio.runtime]\ncgroup_manager = "cgroupfs"\n']) == "cgroupfs"
    assert bh.kubelet_cgroup_driver(None)[0] == "systemd"
    config = (FABRICATED / "kubelet-config.yaml").read_text()
    assert bh.kubelet_cgroup_driver(config) == ("systemd", bh.KUBELET_CONFIG)
    kubelet = Version.parse("1.37.2")
    mismatch = bh.judge_cgroup_driver("systemd", "k", "cgroupfs", "c", False, kubelet)
    assert mismatch.status is Status.WARN
    assert bh.judge_cgroup_driver("systemd", "k", "cgroupfs", "c", True, kubelet).status is (
        Status.PASS
    )  # the kubelet takes the runtime's driver over CRI
    assert bh.judge_cgroup_driver("systemd", "k", "", "", False, kubelet).message.startswith(
        "cannot determine"
    )
    # the systemd driver where systemd does not run: the kubelet exits at start
    lone = bh.judge_cgroup_driver("cgroupfs", "k", "systemd", "c", True, kubelet, False)
    assert lone.status is Status.WARN and "systemd is not running" in lone.message
    assert (
        bh.judge_cgroup_driver("systemd", "k", "systemd", "c", False, kubelet, False).status
        is Status.WARN
    )
    assert (
        bh.judge_cgroup_driver("cgroupfs", "k", "systemd", "c", True, kubelet, True).status
        is Status.PASS
    )
    assert (
        bh.judge_cgroup_driver("systemd", "k", "cgroupfs", "c", True, kubelet, False).status
        is Status.PASS
    )  # cgroupfs needs no systemd


def test_default_route() -> None:
    with_default = net.parse_proc_net_route((FABRICATED / "net-route-default").read_text())
    without = net.parse_proc_net_route((FABRICATED / "net-route-no-default").read_text())
    assert bh.judge_default_route(with_default, [], "").status is Status.PASS
    assert bh.judge_default_route(without, [], "").status is Status.FAIL
    assert bh.judge_default_route(without, [], "10.0.2.15").status is Status.WARN


def test_clock_resolv_machine_id_minimums_disk() -> None:
    assert bh.judge_clock(0).status is Status.PASS
    assert bh.judge_clock(bh.TIME_ERROR).status is Status.WARN
    assert bh.judge_resolv_conf(["10.0.0.2"], None).status is Status.PASS
    assert bh.judge_resolv_conf(["127.0.0.53"], None).status is Status.WARN
    assert bh.judge_resolv_conf(["127.0.0.53"], ["10.0.0.2"]).status is Status.PASS
    assert bh.judge_resolv_conf(["::1"], ["127.0.0.1"]).status is Status.WARN
    assert bh.judge_resolv_conf([], None).status is Status.WARN
    assert bh.judge_resolv_conf(None, None).status is Status.WARN
    assert bh.judge_machine_id("a" * 32, "", "uuid", "").status is Status.PASS
    assert bh.judge_machine_id("", "does not exist", "uuid", "").status is Status.WARN
    low = bh.judge_minimums({"fs.inotify.max_user_instances": 128}, bh.INOTIFY_MIN)
    assert low.status is Status.WARN and "128 (< 512)" in low.message
    assert judge_disk("/var/lib", 100, 16, 100, 50).status is Status.PASS
    assert judge_disk("/var/lib", 100, 14, 100, 50).status is Status.WARN
    assert judge_disk("/var/lib", 100, 50, 100, 4).status is Status.WARN
