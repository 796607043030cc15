"""Per-node tests: which nodes get a pod, how a failure names the nodes, and the script the
clients run, run here by the shell and netcat the agnhost image carries (dash and OpenBSD
netcat) against a real HTTP server and a closed port."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from conformance.standard_base.pernode import (
    Placed,
    addressed,
    assert_every_node,
    failures,
    phase_in,
    pod_nodes,
    running_ready,
    wait_every,
)
from conformance.standard_base.test_network_nodes import ASK_SCRIPT, replies


def _node(
    name: str,
    ready: bool = True,
    unschedulable: bool = False,
    taints: list[tuple[str, str]] | None = None,
    simulated: bool = False,
) -> Any:
    """A Node as the API serves it (JSON), with the fields the judgements read."""
    annotations = {"kwok.x-k8s.io/node": "fake"} if simulated else {}
    return {
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "unschedulable": unschedulable,
            "taints": [{"key": k, "effect": e} for k, e in taints or []],
        },
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletNotReady",
                    "message": "container runtime network not ready",
                }
            ]
        },
    }


def _kube(*nodes: Any) -> Any:
    """A client whose one page of Nodes is ``nodes`` (the lean listing asks by raw GET)."""
    answer = SimpleNamespace(
        status=200, body=b"", json=lambda: {"items": list(nodes), "metadata": {}}
    )
    return SimpleNamespace(raw=lambda *args, **kwargs: answer)


def test_every_schedulable_real_node_gets_a_pod_sorted() -> None:
    kube = _kube(
        _node("w-2"),
        _node("w-1"),
        _node("sim", simulated=True),
        _node("cp", taints=[("node-role.kubernetes.io/control-plane", "NoSchedule")]),
        _node("cordoned", unschedulable=True),
    )
    assert pod_nodes(kube) == ["w-1", "w-2"]


def test_a_node_meant_for_pods_that_cannot_take_them_fails_named() -> None:
    kube = _kube(
        _node("w-1"),
        _node("w-2", ready=False, taints=[("node.kubernetes.io/not-ready", "NoSchedule")]),
    )
    with pytest.raises(AssertionError, match=r"2 real nodes .* 1 can take them: w-2 NotReady"):
        pod_nodes(kube)


def test_no_schedulable_real_node_fails() -> None:
    with pytest.raises(AssertionError, match="no schedulable node"):
        pod_nodes(_kube(_node("sim", simulated=True)))


def test_failures_name_each_failing_node_in_order_and_bound_the_reason() -> None:
    said = failures({"b": "x " * 400, "a": "it broke", "c": None})
    assert said.startswith("a: it broke; b: x x")
    assert "c:" not in said
    assert len(said.split("; b: ")[1]) <= 240
    with pytest.raises(AssertionError, match=r"^DNS: not on 1 of 2 nodes: n-2: no answer$"):
        assert_every_node({"n-1": None, "n-2": "no answer"}, "DNS")
    assert_every_node({"n-1": None}, "DNS")


def _pod(phase: str, ready: bool = False, waiting: str | None = None) -> Any:
    state = SimpleNamespace(
        waiting=SimpleNamespace(reason=waiting, message="no such image") if waiting else None
    )
    return SimpleNamespace(
        metadata=SimpleNamespace(name="p-0"),
        status=SimpleNamespace(
            phase=phase,
            conditions=[SimpleNamespace(type="Ready", status="True" if ready else "False")],
            container_statuses=[SimpleNamespace(state=state)],
        ),
    )


def test_judges_say_why_a_pod_is_not_there_yet() -> None:
    assert phase_in("Succeeded", "Failed")(_pod("Failed")) is None
    assert phase_in("Running")(_pod("Pending", waiting="ErrImagePull")) == (
        "pod p-0 is Pending (ErrImagePull: no such image)"
    )
    assert running_ready(_pod("Running", ready=True)) is None
    assert running_ready(_pod("Running")) == "pod p-0 is Running, not Ready"


def _listing(*pods: tuple[str, str, str | None]) -> Any:
    """A client whose namespace holds ``(name, phase, pod IP)`` pods, each Ready if Running."""
    items = []
    for name, phase, ip in pods:
        pod = _pod(phase, ready=phase == "Running")
        pod.metadata.name = name
        pod.status.pod_ip = ip
        items.append(pod)
    core = SimpleNamespace(list_namespaced_pod=lambda namespace: SimpleNamespace(items=items))
    return SimpleNamespace(core=core)


def test_two_pods_on_one_node_are_each_waited_for() -> None:
    # a cluster of one node gets two pods on it: the one that is there must not stand in for
    # the one that is not
    placed = [Placed("netexec-0", "n-1"), Placed("netexec-1", "n-1")]
    kube = _listing(("netexec-0", "Pending", None), ("netexec-1", "Running", "10.0.0.2"))
    with pytest.raises(AssertionError) as failed:
        wait_every(kube, "ns", placed, "a Ready netexec server", addressed, 0.3)
    assert "n-1 (netexec-0): pod netexec-0 is Pending, not Ready" in str(failed.value)
    assert "netexec-1" not in str(failed.value)
    kube = _listing(("netexec-0", "Running", "10.0.0.1"), ("netexec-1", "Running", "10.0.0.2"))
    found = wait_every(kube, "ns", placed, "a Ready netexec server", addressed, 0.3)
    assert {name: pod.status.pod_ip for name, pod in found.items()} == {
        "netexec-0": "10.0.0.1",
        "netexec-1": "10.0.0.2",
    }


def test_a_ready_pod_without_its_ip_is_not_there_yet() -> None:
    kube = _listing(("netexec-0", "Running", None), ("netexec-1", "Running", "10.0.0.2"))
    placed = [Placed("netexec-0", "n-1"), Placed("netexec-1", "n-2")]
    with pytest.raises(AssertionError, match="n-1: pod netexec-0 is Ready, its status has no pod"):
        wait_every(kube, "ns", placed, "a Ready netexec server", addressed, 0.3)


class _Hostname(http.server.BaseHTTPRequestHandler):
    names: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        body = self.names["name"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostname_server() -> Iterator[int]:
    _Hostname.names["name"] = "netexec-1"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostname)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed here (the images carry it)")
    return found


def test_the_ask_script_gets_each_answer_and_nothing_from_a_closed_port(
    hostname_server: int,
) -> None:
    _tool("nc")
    closed = _free_port()
    out = subprocess.run(
        [
            _tool("dash"),
            "-c",
            ASK_SCRIPT,
            "sh",
            "127.0.0.1",
            str(hostname_server),
            "127.0.0.1",
            str(closed),
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    ).stdout
    assert replies(out) == {f"127.0.0.1 {hostname_server}": "netexec-1", f"127.0.0.1 {closed}": ""}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
