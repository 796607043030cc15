"""network, as only real nodes show it: pod-to-pod traffic across nodes, NodePort traffic through
kube-proxy on every node, and DNS records for pods.

Each test pins its server pods to distinct real nodes (``nodeName``), so a cluster whose pod
network only works within one node fails here instead of passing by luck of scheduling.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base import kubeadm as k
from conformance.standard_base.dnsprobe import absolute, answers, script
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodes import (
    describe,
    meant_for_pods,
    real_kubelet_nodes,
    real_nodes,
)
from conformance.standard_base.workloads import exec_in, wait_pod, wait_running_ready

SIG = "[sig-network]"
NETEXEC_PORT = 8080


def _spread(kube: Kube, count: int) -> list[str]:
    """``count`` node names, distinct when the cluster has that many real nodes for our pods.

    A single-node cluster is a kind of cluster (the names repeat); a cluster that has the nodes
    but not enough of them Ready is a fault, so the test fails naming them.
    """
    listed = kube.core.list_node().items
    found = sorted(str(n.metadata.name) for n in real_kubelet_nodes(listed))
    assert found, "no schedulable node with a real kubelet"
    meant = [n for n in real_nodes(listed) if meant_for_pods(n)]
    assert len(found) >= min(count, len(meant)), (
        f"{len(meant)} real nodes are meant for the suite's pods but {len(found)} can take them: "
        + describe(meant))
    return [found[i % len(found)] for i in range(count)]


def _netexec(kube: Kube, namespace: str, name: str, node: str,
             labels: dict[str, str] | None = None) -> Any:
    """An agnhost netexec server on ``node``, Running and Ready."""
    kube.core.create_namespaced_pod(namespace, b.pod(name, labels, b.container(
        image=b.AGNHOST_IMAGE, command=["/agnhost", "netexec", f"--http-port={NETEXEC_PORT}"],
        ports=[{"containerPort": NETEXEC_PORT}],
        readinessProbe={"httpGet": {"path": "/healthz", "port": NETEXEC_PORT},
                        "periodSeconds": 1}), nodeName=node))
    return wait_running_ready(kube, namespace, name, 30)


def _hostname_via(kube: Kube, namespace: str, client: str, host: str, port: int) -> str:
    """The body netexec sends for ``GET /hostname`` at ``host:port``, fetched from inside
    ``client`` (the last line of the reply; the whole reply is empty when nothing answered)."""
    request = f"printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {host} {port}"
    reply = exec_in(kube, namespace, client, ["/bin/sh", "-c", request]).strip()
    return reply.splitlines()[-1].strip() if reply else ""


@standard_base(
    id="network/pod-to-pod-across-nodes",
    conformance=[
        f"{SIG} Networking Granular Checks: Pods should function for intra-pod communication: "
        "http [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=45,
)
def test_pod_to_pod_across_nodes(kube: Kube, kv_namespace: str) -> None:
    """Two pods on two different real nodes answer each other over their pod IPs (HTTP), each
    naming itself: the pod network routes between nodes, not only within one."""
    first, second = _spread(kube, 2)
    pods = {"netexec-a": _netexec(kube, kv_namespace, "netexec-a", first),
            "netexec-b": _netexec(kube, kv_namespace, "netexec-b", second)}
    for client, server in (("netexec-a", "netexec-b"), ("netexec-b", "netexec-a")):
        ip = pods[server].status.pod_ip
        assert ip, f"{server} has no pod IP"

        def answered(client: str = client, server: str = server, ip: str = ip) -> bool:
            return _hostname_via(kube, kv_namespace, client, ip, NETEXEC_PORT) == server

        wait_for(f"{client} ({pods[client].spec.node_name}) to get {server}'s name from "
                 f"{ip}:{NETEXEC_PORT} ({pods[server].spec.node_name})", answered, 20)


@standard_base(
    id="network/nodeport",
    conformance=[f"{SIG} Services should be able to create a functioning NodePort service "
                 "[Conformance]"],
    needs=["real-kubelet"],
    timeout=45,
)
def test_nodeport(kube: Kube, kv_namespace: str) -> None:
    """A NodePort Service answers on every schedulable real node's address at its node port,
    from a pod on another node: kube-proxy on each node forwards it to the backing pod."""
    server_node, client_node = _spread(kube, 2)
    labels = {"app": "nodeport-test"}
    _netexec(kube, kv_namespace, "nodeport-server", server_node, labels)
    _netexec(kube, kv_namespace, "nodeport-client", client_node)
    manifest = b.service("nodeport-test", labels, [{"port": 80, "targetPort": NETEXEC_PORT}])
    manifest["spec"]["type"] = "NodePort"
    created = kube.core.create_namespaced_service(kv_namespace, manifest)
    port = created.spec.ports[0].node_port
    assert port, "the NodePort Service got no node port"
    for node in real_kubelet_nodes(kube.core.list_node().items):
        address = next((a.address for a in node.status.addresses or []
                        if a.type == "InternalIP"), None)
        assert address, f"node {node.metadata.name} reports no InternalIP"

        def answered(address: str = address) -> bool:
            got = _hostname_via(kube, kv_namespace, "nodeport-client", address, port)
            return got == "nodeport-server"

        wait_for(f"{address}:{port} (node {node.metadata.name}) to answer from "
                 "nodeport-server", answered, 20)


@standard_base(
    id="network/dns-pods",
    conformance=[f"{SIG} DNS should provide DNS for pods for Hostname [Conformance]",
                 f"{SIG} DNS should provide DNS for the cluster [Conformance]"],
    needs=["dns", "real-kubelet"],
    timeout=45,
)
def test_dns_pods(kube: Kube, kv_namespace: str) -> None:
    """A pod resolves another pod's A record (``<ip-dashed>.<ns>.pod.<domain>``) and a headless
    Service's pod hostname (``<hostname>.<subdomain>.<ns>.svc.<domain>``) to that pod's IP."""
    domain = k.networking(k.cluster_configuration(kube))["dnsDomain"]
    labels = {"app": "dns-pods"}
    headless = b.service("dns-sub", labels, [{"port": 80, "targetPort": NETEXEC_PORT}])
    headless["spec"]["clusterIP"] = "None"
    kube.core.create_namespaced_service(kv_namespace, headless)
    kube.core.create_namespaced_pod(kv_namespace, b.pod("dns-target", labels, b.container(
        image=b.AGNHOST_IMAGE, command=["/agnhost", "netexec", f"--http-port={NETEXEC_PORT}"],
        ports=[{"containerPort": NETEXEC_PORT}],
        readinessProbe={"httpGet": {"path": "/healthz", "port": NETEXEC_PORT},
                        "periodSeconds": 1}), hostname="target", subdomain="dns-sub"))
    ip = str(wait_running_ready(kube, kv_namespace, "dns-target", 30).status.pod_ip)
    wanted = {
        absolute(f"{ip.replace('.', '-')}.{kv_namespace}.pod.{domain}"): ip,
        absolute(f"target.dns-sub.{kv_namespace}.svc.{domain}"): ip,
    }

    kube.core.create_namespaced_pod(kv_namespace, b.pod("dns-pods-probe", None, b.container(
        image=b.BUSYBOX_IMAGE, command=["sh", "-c", script(list(wanted))]),
        restartPolicy="Never"))
    wait_pod(kube, kv_namespace, "dns-pods-probe", ("Succeeded", "Failed"), 30)
    got = answers(kube.core.read_namespaced_pod_log("dns-pods-probe", kv_namespace))
    wrong = {n: got.get(n) for n, want in wanted.items() if want not in got.get(n, [])}
    assert not wrong, f"lookups that did not answer the pod's IP {ip}: {wrong}"
