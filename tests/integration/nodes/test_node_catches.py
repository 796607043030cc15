"""What the Standard Base catches on real nodes: a cluster broken on purpose in the node, network
and DNS layers fails the tests that look there and passes one that does not.

One real-node cluster from the fixtures (the control-plane node and two workers), broken one
fault at a time and mended after each (``faults``: a node's own files edited, its one process
restarted as it ran), but the last: the cluster goes at the end. Each row is written to
``conformance/CATCHES-NODES.md`` from the run itself, so the table says what was seen, not what
was hoped; only by a run that selected every fault, so that running one leaves the table whole.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from bootstrap.runtime import process
from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.nodes import record
from bootstrap.runtime.nodes.lifecycle import state_of, teardown
from bootstrap.runtime.spec import ClusterSpec
from tests.integration.nodes import faults, snapshot

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
TABLE = REPO / "conformance" / "CATCHES-NODES.md"
ROWS: list[str] = []
NOTES: list[str] = []
WRONG_DNS = "10.96.0.250"
"""In the service subnet, and (barring a one-in-a-million allocation) no Service's address."""
NODE_MONITOR_GRACE = 120.0
"""Long enough for the controller-manager to mark a silent node's status Unknown (its
``--node-monitor-grace-period`` is 50 s) and taint it."""


@pytest.fixture(scope="module")
def broken(request: pytest.FixtureRequest) -> Iterator[ClusterHandle]:
    started = time.monotonic()
    spec = ClusterSpec.local(f"kvn-catch-{secrets.token_hex(3)}", nodes=2, wait_for_workloads=True)
    with bring_up(spec, log=lambda line: None) as handle:
        yield handle
    if _every_fault_selected(request):  # a run of some faults would write a table of those only
        _write_table(time.monotonic() - started)


def _every_fault_selected(request: pytest.FixtureRequest) -> bool:
    here = f"{request.node.nodeid}::"
    ran = {
        item.nodeid.removeprefix(here).split("[")[0]
        for item in request.session.items
        if item.nodeid.startswith(here)
    }
    return ran >= {name for name in vars(request.module) if name.startswith("test_")}


def _results(handle: ClusterHandle, focus: str, out: Path) -> dict[str, dict[str, Any]]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "cluster",
            "--kubeconfig",
            str(handle.kubeconfig),
            "--context",
            str(handle.context),
            "--focus",
            focus,
            "--output-dir",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    checks = json.loads((out / "cluster" / "results.json").read_text())["checks"]
    return {c["id"]: c for c in checks}


def _judge(
    handle: ClusterHandle,
    fault: str,
    expect_fail: list[str],
    expect_pass: list[str],
    out: Path,
    naming: str | None = None,
) -> None:
    """Run the tests named, write the row, and hold it to what it must be (each failure naming
    the node ``naming``, when the fault is on that one node)."""
    got = _results(handle, "|".join(f"^{t}$" for t in expect_fail + expect_pass), out)
    missing = [t for t in expect_fail + expect_pass if t not in got]
    if missing:
        pytest.skip(f"the Standard Base in this tree has no {missing}: no row for {fault}")
    status = {t: got[t]["status"] for t in got}
    failing = ", ".join(f"`{t}` {status[t]}" for t in expect_fail) or "none: nothing breaks"
    passing = ", ".join(f"`{t}` {status[t]}" for t in expect_pass)
    ROWS.append(f"| {fault} | {failing} | {passing} |")
    for t in expect_fail:
        NOTES.append(f"- {fault}: `{t}`: {_first_line(got[t]['message'])}")
    assert all(status[t] == "fail" for t in expect_fail), status
    assert all(status[t] == "pass" for t in expect_pass), status
    if naming is not None:
        unnamed = [t for t in expect_fail if naming not in got[t]["message"]]
        assert not unnamed, f"failures that do not name {naming}: {unnamed}"


def _first_line(message: str) -> str:
    line = (message.strip().splitlines() or [""])[0]
    return line if len(line) <= 240 else line[:237] + "..."


def _catch(
    handle: ClusterHandle,
    fault: str,
    break_it: Callable[[Any], None],
    expect_fail: list[str],
    expect_pass: list[str],
    out: Path,
) -> None:
    api = handle.api_client()
    try:
        break_it(api)
    finally:
        api.close()
    _judge(handle, fault, expect_fail, expect_pass, out)


def _no_dns_endpoints(api: Any) -> None:
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    apps.patch_namespaced_deployment_scale("coredns", "kube-system", {"spec": {"replicas": 0}})
    deadline = time.monotonic() + 60
    while core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items:
        assert time.monotonic() < deadline, "CoreDNS pods did not go"
        time.sleep(0.5)


def _restore_dns(api: Any) -> None:
    apps = k8s.AppsV1Api(api)
    apps.patch_namespaced_deployment_scale("coredns", "kube-system", {"spec": {"replicas": 2}})
    deadline = time.monotonic() + 90
    while (
        apps.read_namespaced_deployment("coredns", "kube-system").status.ready_replicas or 0
    ) < 1:
        assert time.monotonic() < deadline, "CoreDNS did not come back"
        time.sleep(0.5)


def _no_kube_proxy(api: Any) -> None:
    k8s.AppsV1Api(api).delete_namespaced_daemon_set("kube-proxy", "kube-system")
    core, deadline = k8s.CoreV1Api(api), time.monotonic() + 60
    while core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items:
        assert time.monotonic() < deadline, "kube-proxy pods did not go"
        time.sleep(0.5)


def test_coredns_without_endpoints(broken: ClusterHandle, tmp_path: Path) -> None:
    try:
        _catch(
            broken,
            "CoreDNS without endpoints (scaled to 0)",
            _no_dns_endpoints,
            ["network/dns-resolution", "network/dns-pods"],
            ["network/pod-to-pod-across-nodes"],
            tmp_path,
        )
    finally:
        api = broken.api_client()
        try:
            _restore_dns(api)
        finally:
            api.close()


def test_node_without_cni_config(broken: ClusterHandle, tmp_path: Path) -> None:
    """containerd finds no network config, says NetworkReady=false, and the kubelet marks its
    Node NotReady: the suite's readiness test names it, a DaemonSet that must run on every node
    never becomes ready, and pods meant for two workers find one; single-node tests pass on the
    Ready ones."""
    node = faults.workers(broken)[0]
    with faults.without_cni_conf(broken, node) as removed:
        assert removed, f"{node} had no CNI config to remove"
        message = faults.wait_node(broken, node, ready=False, timeout=60)
        assert "NetworkReady=false" in message, message
        _judge(
            broken,
            "a node without a CNI config (its conf dir emptied)",
            ["node/all-nodes-ready", "apps/daemonset-placement", "network/pod-to-pod-across-nodes"],
            ["node/exec"],
            tmp_path,
        )
    faults.wait_node(
        broken, node, ready=True, timeout=60, nudge=lambda: faults.touch_cni_conf(broken, node)
    )


def test_missing_pod_route(broken: ClusterHandle, tmp_path: Path) -> None:
    """Nothing routes to one node's pod CIDR: its pods are cut off from pods elsewhere (and
    from CoreDNS, which runs on another node), while the API still reaches its kubelet."""
    node = faults.workers(broken)[0]
    with faults.without_pod_route(broken, node):
        _judge(
            broken,
            "no route to a node's pod CIDR",
            ["network/pod-to-pod-across-nodes", "network/nodeport"],
            ["node/exec"],
            tmp_path,
            naming=node,
        )


def test_kubelet_allows_anonymous(broken: ClusterHandle, tmp_path: Path) -> None:
    """A kubelet whose configuration lets anonymous requests in and authorises all of them."""
    node = faults.workers(broken)[-1]
    config = faults.layout_of(broken, node).kubelet_config
    try:
        with faults.edited(config, faults.yaml_change(faults.anonymous_kubelet)):
            faults.restart(broken, node, "kubelet")
            faults.wait_node(broken, node, ready=True, timeout=60)
            running = faults.configz(broken, node)
            assert running["authentication"]["anonymous"]["enabled"] is True, running
            assert running["authorization"]["mode"] == "AlwaysAllow", running
            _judge(
                broken,
                "a kubelet allowing anonymous requests (authentication.anonymous."
                "enabled: true, authorization.mode: AlwaysAllow)",
                ["node/kubelet-api-refuses-anonymous", "node/kubelet-api-refuses-unauthorised"],
                ["node/exec"],
                tmp_path,
            )
    finally:
        faults.restart(broken, node, "kubelet")
        faults.wait_node(broken, node, ready=True, timeout=60)


def test_kubelets_with_a_wrong_cluster_dns(broken: ClusterHandle, tmp_path: Path) -> None:
    """One worker's kubelet, then every worker's, hands its pods a nameserver no Service has (a
    ``clusterDNS`` left behind when the service subnet changed): names do not resolve in those
    pods, while the API and the kubelets work. With one worker of two broken, the per-node DNS
    test fails naming it (a test whose one probe pod may land on the other worker may pass)."""
    nodes = faults.workers(broken)
    try:
        with contextlib.ExitStack() as stack:
            for count, node in enumerate(nodes, start=1):
                config = faults.layout_of(broken, node).kubelet_config
                stack.enter_context(
                    faults.edited(config, faults.yaml_change(faults.cluster_dns(WRONG_DNS)))
                )
                faults.restart(broken, node, "kubelet")
                assert faults.configz(broken, node)["clusterDNS"] == [WRONG_DNS]
                if count == 1 < len(nodes):
                    _judge(
                        broken,
                        f"one worker's kubelet (of {len(nodes)}) with a wrong "
                        f"`clusterDNS` ({WRONG_DNS})",
                        ["network/dns-pods"],
                        ["node/exec"],
                        tmp_path / "one",
                        naming=node,
                    )
            _judge(
                broken,
                f"kubelets with a wrong `clusterDNS` ({WRONG_DNS}, no Service's)",
                ["network/dns-resolution", "network/dns-pods"],
                ["node/exec"],
                tmp_path / "all",
            )
    finally:
        for node in nodes:
            faults.restart(broken, node, "kubelet")
        for node in nodes:
            faults.wait_node(broken, node, ready=True, timeout=60)


def test_cgroup_driver_mismatch(broken: ClusterHandle, tmp_path: Path) -> None:
    """containerd set to the systemd cgroup driver, the kubelet to cgroupfs, on a host without
    systemd. The v1.37 kubelet takes the driver from the runtime over CRI (its own setting
    loses), then exits at start: its cgroup root is no systemd slice and nothing could make
    one. The node's status goes Unknown; the node tier, asked about that containerd, says why."""
    node = faults.workers(broken)[-1]
    layout = faults.layout_of(broken, node)
    kubelet = faults.command_of(broken, node, "kubelet")
    try:
        with faults.edited(layout.containerd_config, faults.systemd_cgroup):
            faults.restart(broken, node, "containerd")
            faults.stop(broken, node, "kubelet")
            started = faults.start(broken, kubelet)
            assert faults.exited_within(started, 30), f"{node}'s kubelet kept running"
            said = Path(started.log).read_text(errors="replace")
            assert 'received from the CRI runtime" cgroupDriver="systemd"' in said
            # The kubelet before it may have posted NotReady itself (the runtime restarting)
            message = faults.wait_node(
                broken, node, ready=False, timeout=NODE_MONITOR_GRACE, status_is="Unknown"
            )
            assert "stopped posting" in message, message
            _judge(
                broken,
                "a cgroup-driver mismatch (containerd `SystemdCgroup = true`, the "
                "kubelet `cgroupfs`, no systemd on the host)",
                [
                    "node/all-nodes-ready",
                    "apps/daemonset-placement",
                    "network/pod-to-pod-across-nodes",
                ],
                ["node/exec"],
                tmp_path,
            )
            _node_tier_row(layout.socket, tmp_path)
    finally:
        faults.restart(broken, node, "containerd")
        faults.stop(broken, node, "kubelet")
        faults.start(broken, kubelet)
        faults.wait_node(broken, node, ready=True, timeout=NODE_MONITOR_GRACE)


def test_kubelet_cgroup_driver_is_overridden(broken: ClusterHandle, tmp_path: Path) -> None:
    """The other way round, the classic mismatch: the kubelet's own ``cgroupDriver: systemd``
    against containerd's cgroupfs. The v1.37 kubelet takes the runtime's driver over CRI, so
    nothing breaks and nothing may fail."""
    node = faults.workers(broken)[0]
    config = faults.layout_of(broken, node).kubelet_config
    try:
        with faults.edited(config, faults.yaml_change(faults.systemd_kubelet)):
            started = faults.restart(broken, node, "kubelet")
            assert not faults.exited_within(started, 15), faults.log_tail(started)
            said = Path(started.log).read_text(errors="replace")
            assert 'received from the CRI runtime" cgroupDriver="cgroupfs"' in said
            faults.wait_node(broken, node, ready=True, timeout=60)
            _judge(
                broken,
                "the kubelet's own `cgroupDriver: systemd` against containerd's "
                "cgroupfs (the kubelet follows the runtime over CRI)",
                [],
                ["node/all-nodes-ready", "apps/daemonset-placement", "node/exec"],
                tmp_path,
            )
    finally:
        faults.restart(broken, node, "kubelet")
        faults.wait_node(broken, node, ready=True, timeout=60)


def _node_tier_row(socket: Path, out: Path) -> None:
    """``kubeadm-verify node`` for a worker whose runtime is that containerd."""
    config = out / "join.yaml"
    config.write_text(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"
        f"nodeRegistration:\n  criSocket: unix://{socket}\n"
        "discovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n"
        "    apiServerEndpoint: 192.0.2.1:6443\n    unsafeSkipCAVerification: true\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "node",
            "--format",
            "json",
            "--config",
            str(config),
            "--output-dir",
            str(out / "node"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    driver, cri = checks["CgroupDriver"], checks["CRI"]
    fault = (
        "the same mismatch seen by the node tier (`kubeadm-verify node` with that "
        "containerd's socket as `criSocket`)"
    )
    ROWS.append(
        f"| {fault} | `CgroupDriver` {driver['status']} (a warning check) | `CRI` {cri['status']} |"
    )
    NOTES.append(f"- {fault}: `CgroupDriver`: {_first_line(driver['message'])}")
    assert cri["status"] == "pass", cri
    assert driver["status"] == "warn", driver


def test_no_kube_proxy(broken: ClusterHandle, tmp_path: Path) -> None:
    _catch(
        broken,
        "no kube-proxy (DaemonSet deleted)",
        _no_kube_proxy,
        ["network/nodeport"],
        ["network/pod-to-pod-across-nodes"],
        tmp_path,
    )


def test_teardown_leaves_nothing_of_ours(broken: ClusterHandle) -> None:
    """Runs last: the nodes, restarted processes and all, are torn down from their record, and
    nothing named by this cluster's id is left (other work on the machine is not looked at)."""
    state = state_of(broken)
    found = record.load(state)
    assert found is not None
    cid, running = found.plan.cid, [p for n in found.nodes for p in n.processes]
    teardown(state)
    assert record.load(state) is None
    assert not process.still_running(running)
    assert found.runtime_dir and not Path(found.runtime_dir).exists()
    now = snapshot.take()
    names = (f"kvn-{cid}-", f"kvn{cid}up", str(state.root), found.runtime_dir)
    left = [
        item
        for item in (*now.mounts, *now.netns, *now.links, *now.cgroups, *now.iptables)
        if any(name in item for name in names)
    ]
    assert not left, left


def _write_table(seconds: float) -> None:
    if not ROWS:
        return
    TABLE.write_text(
        "# What the Standard Base catches on real nodes\n\n"
        "Written by `tests/integration/nodes/test_node_catches.py` from its own runs against a "
        "real-node cluster (the control-plane node and two workers) broken on purpose, one "
        f"fault at a time; the run, bring-up and teardown included, took {seconds:.0f} s.\n\n"
        "| fault | tests that must fail: status seen | a test that must pass: status seen |\n"
        "|---|---|---|\n" + "\n".join(ROWS) + "\n\n## Why they failed (the first line of each)"
        "\n\n" + "\n".join(NOTES) + "\n"
    )
