"""network, as only real nodes show it, on every schedulable real node: pod-to-pod traffic
between every pair of nodes, Service traffic through kube-proxy from and to every node, and DNS
as the pods of every node see it.

Each test pins a pod to every schedulable real node (``conformance.standard_base.pernode``), so
a cluster whose pod network, kube-proxy or DNS works on some nodes only fails here, naming the
nodes, instead of passing by luck of scheduling.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conformance.standard_base import builders as b
from conformance.standard_base import kubeadm as k
from conformance.standard_base.dnsprobe import absolute, answers, script
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.pernode import (
    Placed,
    addressed,
    assert_every_node,
    phase_in,
    place,
    pod_nodes,
    running_ready,
    wait_every,
)
from conformance.standard_base.workloads import (
    ending,
    exec_in,
    finished_logs_of,
    wait_running_ready,
)

SIG = "[sig-network]"
NETEXEC_PORT = 8080
MARK = "==kv-target=="
# Each target is asked once per round, ``nc -w 3`` bounding one that does not answer; the
# targets' host and port come in as arguments, never inside the script's text.
ASK_SCRIPT = (
    f'while [ $# -gt 1 ]; do echo "{MARK} $1 $2"; '
    'printf \'GET /hostname HTTP/1.0\\r\\n\\r\\n\' | nc -w 3 "$1" "$2"; echo; shift 2; done'
)


def _netexec(name: str, labels: dict[str, str] | None = None, **spec: object) -> b.Manifest:
    """An agnhost netexec server: ``GET /hostname`` answers with the pod's name."""
    return b.pod(
        name,
        labels,
        b.container(
            image=b.AGNHOST_IMAGE,
            command=["/agnhost", "netexec", f"--http-port={NETEXEC_PORT}"],
            ports=[{"containerPort": NETEXEC_PORT}],
            readinessProbe={
                "httpGet": {"path": "/healthz", "port": NETEXEC_PORT},
                "periodSeconds": 1,
            },
        ),
        **spec,
    )


@dataclass(frozen=True)
class Target:
    """An address a client asks for ``/hostname``, the name that must answer, and what it is
    (for the failure: which node's server, or node port, did not answer)."""

    host: str
    port: int
    expect: str
    what: str

    @property
    def key(self) -> str:
        return f"{self.host} {self.port}"


def replies(output: str) -> dict[str, str]:
    """``{"host port": last line of the reply}`` from :data:`ASK_SCRIPT`'s output (an empty
    string where nothing answered)."""
    found: dict[str, str] = {}
    key = ""
    for line in output.splitlines():
        if line.startswith(MARK):
            key = line[len(MARK) :].strip()
            found[key] = ""
        elif key and line.strip():
            found[key] = line.strip()
    return found


def _reach_all(
    kube: Kube, namespace: str, plan: Mapping[Placed, Sequence[Target]], timeout: float
) -> None:
    """From each client pod, each of its targets answers with its expected name; retried until
    the deadline (a new pod's routes and a new Service's rules take a moment), then the failure
    names each client's node and each target that did not answer it."""
    pending = {client: list(targets) for client, targets in plan.items()}
    said: dict[str, str | None] = {}

    def all_answered() -> bool:
        for client, left in pending.items():
            if not left:
                continue
            args = [part for t in left for part in (t.host, str(t.port))]
            got = replies(
                exec_in(kube, namespace, client.pod, ["/bin/sh", "-c", ASK_SCRIPT, "sh", *args])
            )
            pending[client] = [t for t in left if got.get(t.key) != t.expect]
            said[f"{client.pod} on {client.node}"] = (
                "; ".join(
                    f"{t.what} at {t.host}:{t.port} answered {got.get(t.key) or 'nothing'!r}"
                    for t in pending[client]
                )
                or None
            )
        assert not any(pending.values()), "; ".join(
            f"from {client}: {why}" for client, why in said.items() if why
        )
        return True

    wait_for("every target to answer from every node", all_answered, timeout)


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
    """A pod on every schedulable real node answers HTTP over its pod IP, naming itself, to the
    pods on every other node: the pod network routes between every pair of nodes, both ways
    (on a cluster of one node, between two pods of that node)."""
    nodes = pod_nodes(kube)
    hosts = nodes if len(nodes) > 1 else nodes * 2
    placed = place(kube, kv_namespace, "netexec", hosts, lambda name, _: _netexec(name))
    pods = wait_every(kube, kv_namespace, placed, "a Ready netexec server", addressed, 25)
    for client in placed:
        ip = pods[client.pod].status.pod_ip
        assert ip, f"{client.node}: {client.pod} has no pod IP"
    targets = {
        one.pod: Target(
            str(pods[one.pod].status.pod_ip), NETEXEC_PORT, one.pod, f"{one.pod} on {one.node}"
        )
        for one in placed
    }
    _reach_all(
        kube,
        kv_namespace,
        {client: [t for name, t in targets.items() if name != client.pod] for client in placed},
        15,
    )


def _internal_ips(kube: Kube, nodes: Sequence[str]) -> dict[str, str]:
    """Each node's InternalIP (a node that reports none fails the test, named)."""
    found: dict[str, str] = {}
    for node in nodes:
        addresses = kube.core.read_node(node).status.addresses or []
        address = next((a.address for a in addresses if a.type == "InternalIP"), None)
        assert address, f"node {node} reports no InternalIP"
        found[node] = str(address)
    return found


@standard_base(
    id="network/nodeport",
    conformance=[
        f"{SIG} Services should be able to create a functioning NodePort service [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=45,
)
def test_nodeport(kube: Kube, kv_namespace: str) -> None:
    """A NodePort Service answers from a pod on every schedulable real node, at its ClusterIP
    and at every such node's address and node port: kube-proxy on each node forwards both the
    pods' Service traffic and its own node port to the backing pod."""
    nodes = pod_nodes(kube)
    labels = {"app": "nodeport-test"}
    manifest = b.service("nodeport-test", labels, [{"port": 80, "targetPort": NETEXEC_PORT}])
    manifest["spec"]["type"] = "NodePort"
    created = kube.core.create_namespaced_service(kv_namespace, manifest)
    port = created.spec.ports[0].node_port
    assert port, "the NodePort Service got no node port"
    server = place(
        kube, kv_namespace, "nodeport-server", nodes[:1], lambda name, _: _netexec(name, labels)
    )
    clients = place(kube, kv_namespace, "nodeport-client", nodes, lambda name, _: _netexec(name))
    wait_every(kube, kv_namespace, [*server, *clients], "a Ready netexec pod", running_ready, 20)
    expect = server[0].pod
    backend = f"(backed by {expect} on {server[0].node})"
    targets = [Target(str(created.spec.cluster_ip), 80, expect, f"the ClusterIP {backend}")]
    targets += [
        Target(ip, int(port), expect, f"the node port of {node} {backend}")
        for node, ip in _internal_ips(kube, nodes).items()
    ]
    _reach_all(kube, kv_namespace, dict.fromkeys(clients, targets), 20)


def _wrong_lookups(wanted: Mapping[str, str], output: str) -> str | None:
    got = answers(output)
    wrong = {name: got.get(name) for name, ip in wanted.items() if ip not in got.get(name, [])}
    return f"names that did not resolve to the wanted address: {wrong}" if wrong else None


@standard_base(
    id="network/dns-pods",
    conformance=[
        f"{SIG} DNS should provide DNS for pods for Hostname [Conformance]",
        f"{SIG} DNS should provide DNS for the cluster [Conformance]",
    ],
    needs=["dns", "real-kubelet"],
    timeout=45,
)
def test_dns_pods(kube: Kube, kv_namespace: str) -> None:
    """A pod on every schedulable real node resolves the kubernetes Service's name to its
    ClusterIP, and another pod's A record (``<ip-dashed>.<ns>.pod.<domain>``) and its hostname
    under a headless Service (``<hostname>.<subdomain>.<ns>.svc.<domain>``) to that pod's IP:
    each node's kubelet points its pods at the cluster's DNS, and they reach it."""
    nodes = pod_nodes(kube)
    domain = k.networking(k.cluster_configuration(kube))["dnsDomain"]
    labels = {"app": "dns-pods"}
    headless = b.service("dns-sub", labels, [{"port": 80, "targetPort": NETEXEC_PORT}])
    headless["spec"]["clusterIP"] = "None"
    kube.core.create_namespaced_service(kv_namespace, headless)
    kube.core.create_namespaced_pod(
        kv_namespace, _netexec("dns-target", labels, hostname="target", subdomain="dns-sub")
    )
    ip = str(wait_running_ready(kube, kv_namespace, "dns-target", 15).status.pod_ip)
    api = kube.core.read_namespaced_service("kubernetes", "default")
    wanted = {
        absolute(f"kubernetes.default.svc.{domain}"): str(api.spec.cluster_ip),
        absolute(f"{ip.replace('.', '-')}.{kv_namespace}.pod.{domain}"): ip,
        absolute(f"target.dns-sub.{kv_namespace}.svc.{domain}"): ip,
    }
    probe = script(list(wanted))
    placed = place(
        kube,
        kv_namespace,
        "dns-probe",
        nodes,
        lambda name, _: b.pod(
            name,
            None,
            b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", ending(probe)]),
            restartPolicy="Never",
        ),
    )
    wait_every(
        kube, kv_namespace, placed, "the DNS probe to finish", phase_in("Succeeded", "Failed"), 25
    )
    assert_every_node(
        {
            node: _wrong_lookups(wanted, printed)
            for node, printed in finished_logs_of(
                kube, kv_namespace, {one.node: (one.pod, None) for one in placed}, ended=True
            ).items()
        },
        "names resolved in a pod",
    )
