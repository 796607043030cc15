"""A workload that must keep answering while the cluster under it is upgraded, and the count of
how it answered.

Before the upgrade: a Deployment of two agnhost ``netexec`` replicas, one on each of two workers
(required anti-affinity), behind a NodePort Service, with a PodDisruptionBudget that keeps one
available, so a drain evicts them one at a time. Each replica stops taking new connections
before it exits (a ``preStop`` sleep while its endpoint leaves every node's rules), as a service
that means to survive a rolling drain is written. Two probes run through the whole upgrade:

* from a pod: a prober pinned to the first control plane asks the Service's cluster address every
  ``INTERVAL_S``, printing one line per request (``<uptime> ok|fail``); it is a DaemonSet pod,
  which a drain leaves in place, and a kubelet restart leaves running;
* from outside: the host asks the NodePort on every node's address in turn
  (``OutsideProbe``, a thread).

``answered`` reads both: requests made, failed, and the longest time without an answer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bootstrap.phases.api import ApiClient, ApiError, retry
from bootstrap.upstream.images.catalog import REGISTRY
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.access.rawhttp import probe, probe_status
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.pins import AGNHOST_TAG, BUSYBOX_TAG

NAMESPACE = "kubeadm-verify-keep-answering"
APP = "keep-answering"
PORT = 8080
INTERVAL_S = 0.2
REQUEST_TIMEOUT_S = 2
READY_TIMEOUT_S = 120.0
DRAIN_GRACE_S = 10
"""How long a replica keeps serving after it is told to stop: kube-proxy on every node drops its
endpoint within a second or two of the pod's deletion on an idle machine, and within several on
one as loaded as an upgrade beside other clusters makes it (a node's kube-proxy may be starting
again under its new kubelet just then)."""
LOG_MAX_BYTES = 8 * 1024 * 1024
AGNHOST = f"{REGISTRY}/e2e-test-images/agnhost:{AGNHOST_TAG}"
BUSYBOX = f"{REGISTRY}/e2e-test-images/busybox:{BUSYBOX_TAG}"


@dataclass(frozen=True)
class Counted:
    """What one probe saw: requests made, how many failed, the longest time without an answer
    (from the first request to the last), and each request that went unanswered: when
    (``time.monotonic()``) and what it asked."""

    made: int
    failed: int
    longest_gap_s: float
    unanswered: tuple[tuple[float, str], ...] = ()

    def describe(self, where: str) -> str:
        return (
            f"{where}: {self.made} requests, {self.failed} failed, "
            f"longest time without an answer {self.longest_gap_s:.1f}s"
        )


def count(
    samples: list[tuple[float, bool]], unanswered: Iterable[tuple[float, str]] = ()
) -> Counted:
    """``samples`` are (time, answered) in order; a gap runs from one answer to the next (a
    probe that never had an answer counts its whole span). ``unanswered`` names the requests
    that failed (when, what was asked and what happened)."""
    made = len(samples)
    failed = sum(1 for _, ok in samples if not ok)
    if not samples:
        return Counted(0, 0, 0.0)
    answered = [at for at, ok in samples if ok]
    edges = [samples[0][0], *answered, samples[-1][0]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(edges)]
    return Counted(made, failed, max(gaps, default=0.0), tuple(unanswered))


def parse_prober_log(text: str) -> list[tuple[float, bool]]:
    """The prober's lines (``12345.67 ok``); anything else (a line cut short) is left out."""
    samples = []
    for line in text.splitlines():
        at, _, verdict = line.strip().partition(" ")
        try:
            when = float(at)
        except ValueError:
            continue
        if verdict in ("ok", "fail"):
            samples.append((when, verdict == "ok"))
    return samples


class OutsideProbe(threading.Thread):
    """Asks ``http://ADDRESS:PORT/`` every ``INTERVAL_S``, the addresses in turn, until stopped."""

    def __init__(self, addresses: list[str], node_port: int) -> None:
        super().__init__(name="keep-answering-outside", daemon=True)
        self.urls = [f"http://{address}:{node_port}/" for address in addresses]
        self.samples: list[tuple[float, bool]] = []
        self.unanswered: list[tuple[float, str]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.stopping.is_set():
            url = self.urls[turn % len(self.urls)]
            turn += 1
            status, why = probe(url, deadline_s=REQUEST_TIMEOUT_S)
            at = time.monotonic()
            self.samples.append((at, status == 200))
            if status != 200:
                self.unanswered.append((at, f"{url} ({why or f'HTTP {status}'})"))
            self.stopping.wait(INTERVAL_S)

    def stop(self) -> Counted:
        self.stopping.set()
        self.join(REQUEST_TIMEOUT_S + 5)
        return count(list(self.samples), list(self.unanswered))


@dataclass
class Workload:
    service_ip: str
    node_port: int
    prober_node: str
    outside: OutsideProbe | None = None
    since: float = 0.0
    """The host's uptime when the workload answered everywhere: the prober stamps its lines
    with ``/proc/uptime``, the same clock in every container on the host."""
    uptime_to_monotonic: float = 0.0
    """Added to an uptime, the same moment on ``time.monotonic()``'s clock."""


def deploy(
    client: ApiClient, workers: list[str], prober_node: str, addresses: list[str]
) -> Workload:
    """The workload and its in-cluster prober, up and answering, through the NodePort on every
    node's ``addresses`` too; raises naming what is not. What the prober saw before then is
    not counted (``Workload.since``)."""
    if len(workers) < 2:
        raise BootstrapError("the workload that must keep answering needs two workers")
    _wait_gone(client)
    for obj in _objects(workers[:2]):
        retry(partial(client.create_or_update, obj), f"create {obj['kind']}")
    service = client.get(f"/api/v1/namespaces/{NAMESPACE}/services/{APP}")
    prober = _prober(prober_node, str(service["spec"]["clusterIP"]))
    retry(partial(client.create_or_update, prober), "create the prober's DaemonSet")
    workload = Workload(
        service_ip=str(service["spec"]["clusterIP"]),
        node_port=int(service["spec"]["ports"][0]["nodePort"]),
        prober_node=prober_node,
    )
    _wait_ready(client)
    _wait_node_ports(addresses, workload.node_port)
    workload.since = host_uptime()
    workload.uptime_to_monotonic = time.monotonic() - workload.since
    return workload


def start_outside(workload: Workload, addresses: list[str]) -> None:
    workload.outside = OutsideProbe(addresses, workload.node_port)
    workload.outside.start()


def answered(client: ApiClient, workload: Workload) -> tuple[Counted, Counted]:
    """(from the pod, from outside): the outside probe stopped, the prober's log read."""
    outside = workload.outside.stop() if workload.outside else Counted(0, 0, 0.0)
    selector = f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector=app%3D{APP}-prober"
    pods = retry(partial(client.get, selector), "list the prober's pod")
    names = [p["metadata"]["name"] for p in pods.get("items") or []]
    if not names:
        raise BootstrapError("the in-cluster prober's pod is gone: its requests cannot be counted")
    raw = retry(
        partial(client.raw, "GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{names[0]}/log"),
        "read the prober's log",
    )
    if raw.status != 200:
        raise BootstrapError(f"the in-cluster prober's log: HTTP {raw.status}")
    text = raw.data[:LOG_MAX_BYTES].decode(errors="replace")
    samples = [
        (at + workload.uptime_to_monotonic, ok)
        for at, ok in parse_prober_log(text)
        if at >= workload.since
    ]
    where = f"http://{workload.service_ip}:{PORT}/"
    return count(samples, [(at, where) for at, ok in samples if not ok]), outside


def remove(client: ApiClient) -> None:
    """The namespace deleted (everything in it goes with it); not waited for."""

    def delete() -> None:
        try:
            client.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}")
        except ApiError as error:
            if error.status != 404:
                raise

    retry(delete, f"delete namespace {NAMESPACE}")


def _wait_gone(client: ApiClient) -> None:
    """Until an earlier run's namespace, still being deleted, is gone: nothing can be made in
    it meanwhile."""

    def gone() -> bool:
        found = client.get_or_none(f"/api/v1/namespaces/{NAMESPACE}")
        return found is None or not (found.get("metadata") or {}).get("deletionTimestamp")

    _until(gone, f"namespace {NAMESPACE} to go")


def host_uptime() -> float:
    with open("/proc/uptime", encoding="ascii") as uptime:
        return float(uptime.read().split()[0])


def _answers(url: str) -> bool:
    return probe_status(url, deadline_s=REQUEST_TIMEOUT_S) == 200


def _wait_node_ports(addresses: list[str], node_port: int) -> None:
    """Until the NodePort answers on every node: each kube-proxy has its rules."""
    for address in addresses:
        url = f"http://{address}:{node_port}/"
        _until(partial(_answers, url), f"the workload's NodePort on {address}", interval=0.2)


def _wait_ready(client: ApiClient) -> None:
    def ready() -> bool:
        deployment = client.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{APP}")
        prober = client.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets/{APP}-prober")
        return (deployment.get("status") or {}).get("readyReplicas") == 2 and (
            prober.get("status") or {}
        ).get("numberReady") == 1

    _until(ready, "the workload that must keep answering to come up")


def _until(probe: Callable[[], bool], what: str, interval: float = 1.0) -> None:
    """Until ``probe`` holds (an API error counting as not yet), within ``READY_TIMEOUT_S``;
    a ``BootstrapError`` naming ``what`` after it."""

    def holding() -> bool:
        try:
            return probe()
        except ApiError:
            return False

    try:
        wait_for(holding, READY_TIMEOUT_S, interval=interval, what=what)
    except WaitTimedOut as timed_out:
        raise BootstrapError(str(timed_out)) from None


def _objects(workers: list[str]) -> list[dict[str, Any]]:
    labels = {"app": APP}
    meta = {"name": APP, "namespace": NAMESPACE}
    server = {
        "name": "netexec",
        "image": AGNHOST,
        "imagePullPolicy": "Never",
        "args": ["netexec", f"--http-port={PORT}"],
        "ports": [{"containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/", "port": PORT}, "periodSeconds": 1},
        "lifecycle": {"preStop": {"sleep": {"seconds": DRAIN_GRACE_S}}},
    }
    spread = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
            ]
        },
        "nodeAffinity": _on_nodes(workers),
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [server],
                        "affinity": spread,
                        "terminationGracePeriodSeconds": DRAIN_GRACE_S + 5,
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "NodePort",
                "selector": labels,
                "ports": [{"port": PORT, "targetPort": PORT}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
        },
    ]


def _prober(node: str, service_ip: str) -> dict[str, Any]:
    """The in-cluster prober: a DaemonSet pod pinned to ``node`` (a drain leaves DaemonSet pods
    in place), asking ``service_ip``: the Service's cluster address, not its DNS name (CoreDNS
    moves and is upgraded too, and this asks about the workload)."""
    script = (
        "while true; do read up rest < /proc/uptime; "
        "if printf 'GET / HTTP/1.0\\r\\n\\r\\n' "
        f"| nc -w {REQUEST_TIMEOUT_S} {service_ip} {PORT} | head -n 1 | grep -q ' 200 '; "
        f'then echo "$up ok"; else echo "$up fail"; fi; sleep {INTERVAL_S}; done'
    )
    labels = {"app": f"{APP}-prober"}
    container = {
        "name": "prober",
        "image": BUSYBOX,
        "imagePullPolicy": "Never",
        "command": ["sh", "-c", script],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": f"{APP}-prober", "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [container],
                    "tolerations": [{"operator": "Exists"}],
                    "affinity": {"nodeAffinity": _on_nodes([node])},
                },
            },
        },
    }


def _on_nodes(names: list[str]) -> dict[str, Any]:
    """A required node affinity to ``names``, by ``metadata.name`` (one name a term, ORed)."""
    terms = [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [name]}]}
        for name in names
    ]
    return {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
