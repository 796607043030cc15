"""network: a new Service gets its endpoints in seconds.

Upstream (test/e2e/network/service_latency.go) puts 200 Services, 15 at a time, in front of one
ready pod, times each from its creation to the first EndpointSlice of it with an endpoint, and
fails when the median exceeds 20 s or the 99th percentile 50 s (its code checks these two; the
90th it only logs). Here the same measurement is taken on a smaller sample, created 5 at a time
while the slices are polled, against the same limits: the limits are what a cluster promises,
and the sample's size only how sure upstream is of its tail. With this sample the 99th
percentile is the slowest Service, so every Service must have its endpoints within 50 s.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Lock

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import wait_running_ready

SAMPLE = 25
IN_PARALLEL = 5
LIMIT_MEDIAN_S = 20.0
LIMIT_TAIL_S = 50.0
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
POLL_S = 0.1


def percentile(sorted_s: list[float], p: int) -> float:
    """Upstream's percentile: the element at ``n * p / 100`` of the sorted sample (the last one
    when that is past the end)."""
    index = len(sorted_s) * p // 100
    return sorted_s[min(index, len(sorted_s) - 1)]


class Latencies:
    """When each Service was created and when its first endpoint was seen, on this clock."""

    def __init__(self) -> None:
        self._lock = Lock()
        self.created: dict[str, float] = {}
        self.served: dict[str, float] = {}

    def create(self, kube: Kube, namespace: str, name: str, selector: dict[str, str]) -> None:
        started = time.monotonic()
        kube.core.create_namespaced_service(
            namespace, b.service(name, selector, [{"port": 80, "protocol": "TCP"}])
        )
        with self._lock:
            self.created[name] = started

    def look(self, kube: Kube, namespace: str) -> None:
        """Record every Service whose EndpointSlice now lists an endpoint."""
        slices = kube.discovery.list_namespaced_endpoint_slice(namespace).items
        now = time.monotonic()
        with self._lock:
            for item in slices:
                service = (item.metadata.labels or {}).get(SERVICE_NAME_LABEL)
                if service and item.endpoints and service not in self.served:
                    self.served[service] = now

    def durations(self, names: list[str]) -> dict[str, float]:
        with self._lock:
            return {
                name: self.served[name] - self.created[name]
                for name in names
                if name in self.served and name in self.created
            }


def _measure(kube: Kube, namespace: str, selector: dict[str, str], names: list[str]) -> Latencies:
    """Create ``names`` ``IN_PARALLEL`` at a time while polling their slices; return once all
    have an endpoint, or the tail limit has passed since the last was created."""
    latencies = Latencies()
    with ThreadPoolExecutor(IN_PARALLEL) as pool:
        creations = [
            pool.submit(latencies.create, kube, namespace, name, selector) for name in names
        ]

        def all_served() -> bool:
            latencies.look(kube, namespace)
            return all(c.done() for c in creations) and len(latencies.durations(names)) == len(
                names
            )

        # Judged by the caller, from the durations measured by then.
        with contextlib.suppress(AssertionError):
            wait_for("every Service's first endpoint", all_served, LIMIT_TAIL_S + 10, POLL_S)
        for creation in creations:
            creation.result()  # a Service the API refused fails the test with its error
    return latencies


@standard_base(
    id="network/service-endpoints-latency",
    conformance=["[sig-network] Service endpoints latency should not be very high [Conformance]"],
    needs=["nodes"],
    timeout=80,
)
def test_service_endpoints_latency(kube: Kube, kv_namespace: str) -> None:
    """25 Services created 5 at a time in front of one ready pod each get an EndpointSlice
    with an endpoint; from creation to that endpoint the median takes at most 20 s and the
    99th percentile (here the slowest) at most 50 s, upstream's limits."""
    selector = {"name": "svc-latency"}
    kube.core.create_namespaced_pod(kv_namespace, b.pod("svc-latency", selector))
    wait_running_ready(kube, kv_namespace, "svc-latency", 30)
    # One Service measured and thrown away, as upstream does: the pod's readiness has reached
    # the endpoint controller before the sample is taken.
    warm_up = _measure(kube, kv_namespace, selector, ["latency-warm-up"])
    assert warm_up.durations(["latency-warm-up"]), (
        f"the first Service got no endpoint within {LIMIT_TAIL_S:g}s of its creation"
    )
    names = [f"latency-svc-{i}" for i in range(SAMPLE)]
    measured = _measure(kube, kv_namespace, selector, names).durations(names)
    missing = sorted(set(names) - set(measured))
    ordered = sorted(measured.values())
    ordered += [float("inf")] * len(missing)  # never served: slower than any limit
    p50, p90, p99 = (percentile(ordered, p) for p in (50, 90, 99))
    said = f"50th, 90th, 99th percentiles {p50:.2f}s, {p90:.2f}s, {p99:.2f}s of {SAMPLE}"
    if missing:
        said += f"; no endpoint within {LIMIT_TAIL_S:g}s for {', '.join(missing[:5])}"
    assert p50 <= LIMIT_MEDIAN_S, (
        f"the median endpoint latency is above {LIMIT_MEDIAN_S:g}s: {said}"
    )
    assert p99 <= LIMIT_TAIL_S, f"the tail endpoint latency is above {LIMIT_TAIL_S:g}s: {said}"
