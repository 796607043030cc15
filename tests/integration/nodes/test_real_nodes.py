"""Two real kubelets joined by bootstrap token: Ready, pods that run and talk across nodes,
kube-proxy and CoreDNS as real pods, no registry pull, and a host left as it was found."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bootstrap.runtime import nodes
from bootstrap.runtime.nodes import cgroups
from bootstrap.runtime.nodes.layout import node_dir
from bootstrap.runtime.nodes.lifecycle import runtime_filter
from bootstrap.runtime.nodes.record import load
from bootstrap.runtime.process import rss_bytes
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.images import image_names
from bootstrap.upstream.images.cache import ctr_argv
from bootstrap.upstream.nodeparts.parts import nodeparts_dir
from tests.integration.nodes import hostscope
from tests.integration.nodes.conftest import Joined

pytestmark = pytest.mark.integration
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
NS = "default"


def eventually(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s: {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def core(two_nodes: Joined) -> Iterator[Any]:
    api = two_nodes.handle.api_client()
    try:
        yield k8s.CoreV1Api(api)
    finally:
        api.close()


def _pod(
    name: str,
    node: str,
    args: list[str],
    image: str = AGNHOST,
    labels: dict[str, str] | None = None,
    restart: str = "Always",
    command: list[str] | None = None,
) -> Any:
    container = k8s.V1Container(
        name="main", image=image, args=args, command=command, image_pull_policy="IfNotPresent"
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name, labels=labels or {}),
        spec=k8s.V1PodSpec(
            node_name=node,
            containers=[container],
            restart_policy=restart,
            termination_grace_period_seconds=0,
        ),
    )


def _phase(core: Any, name: str) -> str:
    return str(core.read_namespaced_pod(name, NS).status.phase)


def test_both_nodes_ready_through_tls_bootstrap(two_nodes: Joined, core: Any) -> None:
    names = sorted(node.name for node in two_nodes.nodes)
    listed = {n.metadata.name: n for n in core.list_node().items}
    for name in names:
        conditions = {c.type: c.status for c in listed[name].status.conditions}
        assert conditions["Ready"] == "True"
        assert listed[name].status.node_info.kubelet_version == "v1.37.2"
        assert listed[name].status.node_info.container_runtime_version == "containerd://2.2.9"
    api = two_nodes.handle.api_client()
    try:
        csrs = k8s.CertificatesV1Api(api).list_certificate_signing_request().items
    finally:
        api.close()
    approved = {
        csr.spec.username
        for csr in csrs
        if any(c.type == "Approved" for c in (csr.status.conditions or []))
    }
    assert all(user.startswith("system:bootstrap:") for user in approved)
    signer = "kubernetes.io/kube-apiserver-client-kubelet"
    assert len([c for c in csrs if c.spec.signer_name == signer]) >= 2
    state = StateDir(two_nodes.handle.state_dir, two_nodes.handle.name)  # type: ignore[arg-type]
    for name in names:
        assert nodes.layout_of(state, name).kubeconfig.is_file()
    print(f"\n[bench] join of 2 nodes to Ready: {two_nodes.join_seconds:.1f}s")


def test_every_image_is_loaded_and_nothing_is_pulled(two_nodes: Joined, core: Any) -> None:
    state = StateDir(two_nodes.handle.state_dir, two_nodes.handle.name)  # type: ignore[arg-type]
    ctr = nodeparts_dir("v1.37.2") / "ctr"
    for node in two_nodes.nodes:
        socket = nodes.layout_of(state, node.name).socket
        listed = subprocess.run(
            ctr_argv(ctr, str(socket), "images", "list", "--quiet"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        missing = [name for name in image_names("v1.37.2") if name not in listed]
        assert not missing, f"{node.name} lacks {missing}"
    name = "kvn-no-pull"
    first = two_nodes.nodes[0].name
    core.create_namespaced_pod(NS, _pod(name, first, [], image="registry.k8s.io/no/such:1"))
    started = time.monotonic()

    def refused() -> str:
        statuses = core.read_namespaced_pod(name, NS).status.container_statuses or []
        waiting = [s.state.waiting for s in statuses if s.state and s.state.waiting]
        return next(
            (
                w.message or ""
                for w in waiting
                if w.reason in ("ErrImagePull", "ImagePullBackOff") and w.message
            ),
            "",
        )

    message = eventually("the pull of a missing image to fail", refused, 60)
    assert "127.0.0.1:1" in message and "registry.k8s.io/no/such:1" in message
    assert time.monotonic() - started < 30
    core.delete_namespaced_pod(name, NS, grace_period_seconds=0)


def test_pods_answer_each_other_across_nodes(two_nodes: Joined, core: Any) -> None:
    first, second = (node.name for node in two_nodes.nodes)
    for index, node in enumerate((first, second)):
        core.create_namespaced_pod(
            NS,
            _pod(
                f"kvn-server-{index}",
                node,
                ["netexec", "--http-port=8080"],
                labels={"app": f"kvn-server-{index}"},
            ),
        )
    started = time.monotonic()
    ips = [
        eventually(f"kvn-server-{i} Running", _pod_ip_of(core, f"kvn-server-{i}")) for i in range(2)
    ]
    print(f"\n[bench] two pods created → Running: {time.monotonic() - started:.1f}s")
    assert ips[0] != ips[1]
    for index, (node, target) in enumerate(((second, ips[0]), (first, ips[1]))):
        name = f"kvn-client-{index}"
        url = f"http://{target}:8080/hostname"
        core.create_namespaced_pod(
            NS, _pod(name, node, [], command=["wget", "-qO-", url], restart="Never")
        )
        eventually(f"{name} to finish", _finished(core, name))
        logs = core.read_namespaced_pod_log(name, NS)
        assert _phase(core, name) == "Succeeded", logs
        assert logs.strip() == f"kvn-server-{index}"


def _finished(core: Any, name: str) -> Callable[[], bool]:
    return lambda: _phase(core, name) in ("Succeeded", "Failed")


def _pod_ip_of(core: Any, name: str) -> Callable[[], str]:
    return lambda: _running_ip(core, name)


def _running_ip(core: Any, name: str) -> str:
    pod = core.read_namespaced_pod(name, NS)
    return str(pod.status.pod_ip) if pod.status.phase == "Running" and pod.status.pod_ip else ""


def test_service_by_dns_name_through_kube_proxy_and_coredns(two_nodes: Joined, core: Any) -> None:
    eventually("CoreDNS ready", lambda: _ready_pods(core, "k8s-app=kube-dns") >= 1, 120)
    eventually("kube-proxy on each node", lambda: _ready_pods(core, "k8s-app=kube-proxy") >= 2)
    service = k8s.V1Service(
        metadata=k8s.V1ObjectMeta(name="kvn-server-0"),
        spec=k8s.V1ServiceSpec(
            selector={"app": "kvn-server-0"}, ports=[k8s.V1ServicePort(port=80, target_port=8080)]
        ),
    )
    core.create_namespaced_service(NS, service)
    eventually("kvn-server-0 Running", lambda: _running_ip(core, "kvn-server-0"))
    eventually("the Service's endpoint ready", lambda: _endpoint_ready(core, "kvn-server-0"))
    time.sleep(KUBE_PROXY_SYNC_S)
    url = "http://kvn-server-0.default.svc.cluster.local/hostname"
    name = "kvn-dns-client"
    core.create_namespaced_pod(
        NS, _pod(name, two_nodes.nodes[1].name, [], command=["wget", "-qO-", url], restart="Never")
    )
    eventually(f"{name} to finish", _finished(core, name))
    logs = core.read_namespaced_pod_log(name, NS)
    assert _phase(core, name) == "Succeeded", logs
    assert logs.strip() == "kvn-server-0"


KUBE_PROXY_SYNC_S = 2.0
"""kube-proxy writes a Service's rules a moment after its endpoints are ready (its minimum sync
period is 1 s); a client started before that connects to an address with no rule yet."""


def _endpoint_ready(core: Any, name: str) -> bool:
    try:
        endpoints = core.read_namespaced_endpoints(name, NS)
    except ApiException:
        return False
    return any(subset.addresses for subset in endpoints.subsets or [])


def _ready_pods(core: Any, selector: str) -> int:
    try:
        pods = core.list_namespaced_pod("kube-system", label_selector=selector).items
    except ApiException:
        return 0
    return sum(
        1
        for pod in pods
        if any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
    )


def test_node_processes_are_recorded_and_measured(two_nodes: Joined) -> None:
    state = StateDir(two_nodes.handle.state_dir, two_nodes.handle.name)  # type: ignore[arg-type]
    found = load(state)
    assert found is not None and len(found.nodes) == 2
    for node in found.nodes:
        components = {proc.component for proc in node.processes}
        assert components == {"containerd", "kubelet"}
        sizes = {proc.component: rss_bytes(proc) // 2**20 for proc in node.processes}
        assert all(size > 0 for size in sizes.values()), sizes
        print(f"\n[bench] {node.name} RSS MiB: {sizes}")
        runtime = {proc.pid for proc in node.processes if proc.component == "containerd"}
        spared = [pid for pid in cgroups.pids(node.cgroup_root) if runtime_filter(runtime)(pid)]
        # its containerd and a shim per pod (kube-proxy's at least): spared by the teardown's
        # first sweep so that they reap the containers it kills
        assert set(spared) > runtime, f"{node.name}: no shim recognised among {spared}"


def test_sigint_mid_join_removes_only_the_new_node(two_nodes: Joined, core: Any) -> None:
    """A join interrupted once its node's containerd runs: that node is undone, with its Node
    object; the nodes joined before keep running."""
    state = StateDir(two_nodes.handle.state_dir, two_nodes.handle.name)  # type: ignore[arg-type]
    before = {node.name for node in nodes.nodes_of(state)}
    code = f"from bootstrap.runtime import nodes; nodes.join({str(state.root)!r}, 1, log=print)"
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    containerd_log = state.logs / "kvn-node-3-containerd.log"
    try:
        eventually("the third node's containerd to start", containerd_log.exists, 120)
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0, output
    assert "KeyboardInterrupt" in output
    assert {node.name for node in nodes.nodes_of(state)} == before
    found = load(state)
    assert found is not None
    assert not Path("/run/netns", found.plan.node_netns(3)).exists()
    names = {node.metadata.name for node in core.list_node().items}
    assert "kvn-node-3" not in names and before <= names
    assert found.runtime_dir and not node_dir(Path(found.runtime_dir), 3).exists()


def test_teardown_leaves_the_host_as_it_was(two_nodes: Joined) -> None:
    """Runs last in the module: nodes torn down here, the cluster after, compared in between;
    whatever changed and is not positively another cluster's counts against this one."""
    state = StateDir(two_nodes.handle.state_dir, two_nodes.handle.name)  # type: ignore[arg-type]
    found = load(state)
    assert found is not None and Path(found.runtime_dir).is_dir()
    nodes.teardown(state)
    assert load(state) is None
    assert not Path(found.runtime_dir).exists()
    assert hostscope.naming(Path(found.runtime_dir)) == []
    differences = hostscope.left_behind(two_nodes.before, found.plan.cid)
    assert not differences, differences
