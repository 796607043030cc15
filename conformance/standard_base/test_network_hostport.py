"""network: host ports, as a node's CNI port mapping serves them.

Three pods on one node take the same host port: one on the node's loopback address over TCP, one
on its InternalIP over TCP, one on its InternalIP over UDP. Upstream's spec holds that they do not
conflict: all three run, and from the node itself each address and protocol reaches its own pod
(agnhost ``netexec`` answers ``hostname`` with the pod's name). The port is drawn at random from a
range no kubeadm component listens on, so two runs on one cluster do not meet.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import first_nodes
from conformance.standard_base.nodes import is_ready, is_schedulable, is_simulated
from conformance.standard_base.workloads import exec_in, wait_running_ready

LOCALHOST = "127.0.0.1"
SERVED = 8080
REACH_S = 10.0


def _server(name: str, node: str, host_ip: str, port: int, protocol: str) -> b.Manifest:
    netexec = b.container(
        "agnhost",
        image=b.AGNHOST_IMAGE,
        args=["netexec", f"--http-port={SERVED}", f"--udp-port={SERVED}"],
        ports=[
            {"containerPort": SERVED, "hostPort": port, "hostIP": host_ip, "protocol": protocol}
        ],
    )
    return b.pod(name, None, netexec, nodeName=node)


def _node_ip(kube: Kube, node: str) -> str:
    for address in kube.core.read_node(node).status.addresses or []:
        if address.type == "InternalIP" and ":" not in address.address:
            return str(address.address)
    raise AssertionError(f"node {node} has no IPv4 InternalIP")


def _answer(kube: Kube, namespace: str, target: str, request: str) -> str:
    """The body of an HTTP ``request`` (a path) sent from the node itself to ``target``."""
    script = f"printf 'GET {request} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {target}"
    said = exec_in(kube, namespace, "host-exec", ["/bin/sh", "-c", script], "shell", timeout=10)
    head, _, body = said.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.") and " 200 " in head.split("\n")[0], (
        f"GET {request} from the node to {target}: {head.splitlines()[:1] or 'no answer'}"
    )
    return body.strip()


def _answered_by(kube: Kube, namespace: str, target: str, request: str, pod: str) -> bool:
    said = _answer(kube, namespace, target, request)
    assert pod in said, f"{target} {request.split('?')[0]} was answered by {said[:80]!r}, not {pod}"
    return True


POD_START_S = 30
"""Four pods started at once on one node: on an HA cluster at load, 10 s was seen too short for
the first (upstream allows a pod five minutes to start)."""


@standard_base(
    id="network/host-port",
    conformance=[
        "[sig-network] HostPort validates that there is no conflict between pods with same "
        "hostPort but different hostIP and protocol [LinuxOnly] [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=40,
)
def test_host_port(kube: Kube, kv_namespace: str) -> None:
    """Three pods with one host port on one node, at 127.0.0.1/TCP, at the node's IP/TCP and at
    the node's IP/UDP, all run; from the node, each of the three is answered by its own pod."""
    found = first_nodes(
        kube, 1, lambda n: is_schedulable(n) and not is_simulated(n) and is_ready(n)
    )
    assert found, "no Ready schedulable real node to put the pods on"
    node = found[0].metadata.name
    node_ip = _node_ip(kube, node)
    port = 40000 + secrets.randbelow(10000)
    core = kube.core
    core.create_namespaced_pod(kv_namespace, _server("pod1", node, LOCALHOST, port, "TCP"))
    core.create_namespaced_pod(kv_namespace, _server("pod2", node, node_ip, port, "TCP"))
    core.create_namespaced_pod(kv_namespace, _server("pod3", node, node_ip, port, "UDP"))
    dialer_port = 40000 + secrets.randbelow(10000)
    while dialer_port == port:
        dialer_port = 40000 + secrets.randbelow(10000)
    shell = b.container("shell", image=b.BUSYBOX_IMAGE, command=["sleep", "3600"])
    dialer = b.container(
        "dialer",
        image=b.AGNHOST_IMAGE,
        args=["netexec", f"--http-port={dialer_port}", "--udp-port=-1"],
    )
    core.create_namespaced_pod(
        kv_namespace, b.pod("host-exec", None, shell, dialer, nodeName=node, hostNetwork=True)
    )
    for name in ("pod1", "pod2", "pod3", "host-exec"):  # started together: one wait's room
        wait_running_ready(kube, kv_namespace, name, POD_START_S)
    udp = f"/dial?request=hostname&protocol=udp&host={node_ip}&port={port}&tries=1"
    checks = [
        (f"{LOCALHOST} {port}", "/hostname", "pod1"),
        (f"{node_ip} {port}", "/hostname", "pod2"),
        (f"{LOCALHOST} {dialer_port}", udp, "pod3"),  # the node's own netexec asks over UDP
    ]
    for target, request, pod in checks:
        wait_for(
            f"{pod}'s host port to answer from node {node}",
            lambda: _answered_by(kube, kv_namespace, target, request, pod),  # noqa: B023
            REACH_S,
        )
