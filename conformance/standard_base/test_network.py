"""network: Service ClusterIPs within the service range, EndpointSlices that follow pods, the
API server's own endpoints, DNS and pod-to-Service traffic (need DNS and a real kubelet).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base import kubeadm as k
from conformance.standard_base.dnsprobe import absolute, answers, script
from conformance.standard_base.kube import Kube, refused, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import exec_in, wait_pod, wait_running_ready

SIG = "[sig-network]"


def _service_ranges(kube: Kube) -> str:
    """The service CIDRs: the ServiceCIDR API's ``kubernetes`` object, else kubeadm-config."""
    try:
        cidr = kube.networking.read_service_cidr("kubernetes")
        return ",".join(cidr.spec.cidrs or [])
    except client.ApiException as exc:
        if exc.status != 404:
            raise
    return k.networking(k.cluster_configuration(kube))["serviceSubnet"]


@standard_base(id="network/service-clusterip", needs=["cluster-admin"], timeout=30)
def test_service_clusterip(kube: Kube, kv_namespace: str) -> None:
    """A Service gets a ClusterIP inside the service subnet; a duplicate or out-of-range ClusterIP
    is refused (422).
    """
    ranges = _service_ranges(kube)
    created = kube.core.create_namespaced_service(
        kv_namespace, b.service("allocated", {"app": "none"}, [{"port": 80}])
    )
    ip = created.spec.cluster_ip
    assert ip and ip != "None", "the Service got no ClusterIP"
    assert k.ip_within(ip, ranges), f"ClusterIP {ip} is outside the service range {ranges}"
    taken = b.service("duplicate", {"app": "none"}, [{"port": 80}])
    taken["spec"]["clusterIP"] = ip
    clash = refused(
        "a second Service with the same ClusterIP",
        lambda: kube.core.create_namespaced_service(kv_namespace, taken),
    )
    assert clash.status == 422, f"a duplicate ClusterIP: HTTP {clash.status}, expected 422"
    outside = b.service("outside", {"app": "none"}, [{"port": 80}])
    outside["spec"]["clusterIP"] = _outside(ranges, ip)
    wrong = refused(
        "a ClusterIP outside the range",
        lambda: kube.core.create_namespaced_service(kv_namespace, outside),
    )
    assert wrong.status == 422, f"a ClusterIP outside the range: HTTP {wrong.status}"


def _outside(ranges: str, family_of: str) -> str:
    """An address of ``family_of``'s family just past every service range."""
    nets = [n for n in k.subnets(ranges) if n.version == ipaddress.ip_address(family_of).version]
    candidate = max(n.broadcast_address for n in nets) + 10
    assert not k.ip_within(str(candidate), ranges), (
        f"{candidate} lies inside the service range, it cannot test a refusal"
    )
    return str(candidate)


def _slices(kube: Kube, namespace: str, service: str) -> list[Any]:
    return list(
        kube.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}"
        ).items
    )


def _pod_with_ports(name: str, labels: dict[str, str], ports: list[tuple[str, int]]) -> Any:
    return b.pod(
        name,
        labels,
        b.container("container1", ports=[{"name": n, "containerPort": p} for n, p in ports]),
    )


def _expect_slices(
    kube: Kube, namespace: str, service: Any, pods: list[Any], named_port: bool
) -> None:
    """Upstream's ``expectEndpointSlices``: one endpoint per pod, targetRefs and ports right."""
    by_ip = {p.status.pod_ip: p for p in pods}

    def matching() -> bool:
        slices = _slices(kube, namespace, service.metadata.name)
        addresses = {e.addresses[0] for s in slices for e in s.endpoints or []}
        assert addresses == set(by_ip), f"slices list {sorted(addresses)}, pods {sorted(by_ip)}"
        for item in slices:
            assert len(item.ports or []) == len(service.spec.ports), "port count differs"
            for endpoint in item.endpoints or []:
                pod = by_ip[endpoint.addresses[0]]
                ref = endpoint.target_ref
                assert ref and ref.kind == "Pod" and ref.name == pod.metadata.name, "targetRef"
            port = item.ports[0]
            if not named_port:
                svc_port = service.spec.ports[0]
                assert (port.name, port.protocol, port.port) == (
                    svc_port.name,
                    svc_port.protocol,
                    svc_port.target_port,
                ), f"port {port}"
            else:
                wanted = {
                    c.container_port
                    for p in pods
                    for c in p.spec.containers[0].ports
                    if c.name == "example-name"
                }
                assert port.port in wanted and port.name == service.spec.ports[0].name, (
                    f"the Endpoints port {port.port} ({port.name}) is not the Service's"
                )
        return True

    wait_for(f"EndpointSlices of {service.metadata.name} to match its pods", matching, 30)


@standard_base(
    id="network/endpointslices",
    conformance=[
        f"{SIG} EndpointSlice should create Endpoints and EndpointSlices for Pods "
        "matching a Service [Conformance]"
    ],
    needs=["nodes"],
    timeout=60,
)
def test_endpointslices(kube: Kube, kv_namespace: str) -> None:
    """EndpointSlices list the pods a Service selects, with numeric and named target ports, and are
    recreated when deleted.
    """
    core = kube.core
    core.create_namespaced_pod(
        kv_namespace,
        _pod_with_ports("pod1", {"pod1": "on", "shared12": "on"}, [("example-name", 3000)]),
    )
    core.create_namespaced_pod(
        kv_namespace,
        _pod_with_ports(
            "pod2", {"pod2": "on", "shared12": "on"}, [("example-name", 3001), ("other-port", 3002)]
        ),
    )
    int_port = core.create_namespaced_service(
        kv_namespace,
        {
            "metadata": {"name": "example-int-port"},
            "spec": {
                "selector": {"pod1": "on"},
                "publishNotReadyAddresses": True,
                "ports": [{"name": "example", "port": 80, "targetPort": 3000, "protocol": "TCP"}],
            },
        },
    )
    named_port = core.create_namespaced_service(
        kv_namespace,
        {
            "metadata": {"name": "example-named-port"},
            "spec": {
                "selector": {"shared12": "on"},
                "publishNotReadyAddresses": True,
                "ports": [
                    {"name": "http", "port": 80, "targetPort": "example-name", "protocol": "TCP"}
                ],
            },
        },
    )

    def with_ips() -> list[Any]:
        pods = [core.read_namespaced_pod(n, kv_namespace) for n in ("pod1", "pod2")]
        assert all(p.status.pod_ips for p in pods), "pods have no IPs yet"
        return pods

    pod1, pod2 = wait_for("both pods to get IPs", with_ips, 30)
    _expect_slices(kube, kv_namespace, int_port, [pod1], named_port=False)
    _expect_slices(kube, kv_namespace, named_port, [pod1, pod2], named_port=True)
    for item in _slices(kube, kv_namespace, "example-named-port"):
        kube.discovery.delete_namespaced_endpoint_slice(item.metadata.name, kv_namespace)
    _expect_slices(kube, kv_namespace, named_port, [pod1, pod2], named_port=True)


def _ready_endpoints(kube: Kube, namespace: str, service: str) -> dict[str, bool]:
    return {
        str(e.target_ref.name): bool(e.conditions and e.conditions.ready)
        for s in _slices(kube, namespace, service)
        for e in s.endpoints or []
        if e.target_ref
    }


@standard_base(id="network/endpointslices-follow-pods", needs=["nodes"], timeout=60)
def test_endpointslices_follow_pods(kube: Kube, kv_namespace: str) -> None:
    """A Service's slices list its ready pods as pods come and go (empty, one, two, one, none)."""
    core, labels = kube.core, {"app": "follow"}
    core.create_namespaced_service(kv_namespace, b.service("follow", labels, [{"port": 80}]))

    def endpoints_are(expected: dict[str, bool]) -> None:
        def probe() -> bool:
            got = _ready_endpoints(kube, kv_namespace, "follow")
            assert got == expected, f"slices show {got}, expected {expected}"
            return True

        wait_for(f"the Service's endpoints to be {expected or 'empty'}", probe, 30)

    endpoints_are({})
    for name in ("pod1", "pod2"):
        core.create_namespaced_pod(kv_namespace, b.pod(name, labels))
        wait_running_ready(kube, kv_namespace, name, 30)
    endpoints_are({"pod1": True, "pod2": True})
    core.delete_namespaced_pod("pod2", kv_namespace)
    endpoints_are({"pod1": True})
    core.delete_namespaced_pod("pod1", kv_namespace)
    endpoints_are({})


@standard_base(
    id="network/apiserver-endpoints",
    conformance=[
        f"{SIG} API Server should have Endpoints and EndpointSlices pointing to API "
        "Server [Conformance]"
    ],
    timeout=20,
)
def test_apiserver_endpoints(kube: Kube) -> None:
    """The kubernetes Service has Endpoints and EndpointSlices that point at the API server and
    agree with each other.
    """
    kube.core.read_namespaced_service("kubernetes", "default")
    try:
        endpoints = kube.core.read_namespaced_endpoints("kubernetes", "default")
    except client.ApiException as exc:
        raise AssertionError(
            f"the kubernetes Service has no Endpoints (HTTP {exc.status}): the API server does "
            "not publish itself (--endpoint-reconciler-type=none, or a loopback advertise "
            "address)"
        ) from exc
    subsets = endpoints.subsets or []
    assert subsets, "the kubernetes Endpoints have no subsets"
    ep_addresses = {
        a.ip for s in subsets for a in (s.addresses or []) + (s.not_ready_addresses or [])
    }
    ep_ports = {p.port for s in subsets for p in s.ports or []}
    slices = _slices(kube, "default", "kubernetes")
    assert slices, "the kubernetes Service has no EndpointSlice"
    family = "IPv6" if ":" in next(iter(ep_addresses), "") else "IPv4"
    same = [s for s in slices if s.address_type == family]
    slice_addresses = {a for s in same for e in s.endpoints or [] for a in e.addresses}
    slice_ports = {p.port for s in same for p in s.ports or [] if p.port is not None}
    assert slice_addresses == ep_addresses, f"slices {slice_addresses} != Endpoints {ep_addresses}"
    assert slice_ports == ep_ports, f"slice ports {slice_ports} != Endpoints ports {ep_ports}"


@standard_base(id="network/dns-resolution", needs=["dns", "real-kubelet"], timeout=90)
def test_dns_resolution(kube: Kube, kv_namespace: str) -> None:
    """A pod resolves the fully qualified names of the kubernetes Service and of a Service just
    created to their ClusterIPs through the cluster's DNS."""
    domain = k.networking(k.cluster_configuration(kube))["dnsDomain"]
    created = kube.core.create_namespaced_service(
        kv_namespace, b.service("dns-target", {"app": "none"}, [{"port": 80}])
    )
    api = kube.core.read_namespaced_service("kubernetes", "default")
    wanted = {
        absolute(f"kubernetes.default.svc.{domain}"): api.spec.cluster_ip,
        absolute(f"dns-target.{kv_namespace}.svc.{domain}"): created.spec.cluster_ip,
    }
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            "dns-probe",
            None,
            b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", script(list(wanted))]),
            restartPolicy="Never",
        ),
    )
    wait_pod(kube, kv_namespace, "dns-probe", ("Succeeded",), 60)
    got = answers(kube.core.read_namespaced_pod_log("dns-probe", kv_namespace))
    wrong = {name: got.get(name) for name, ip in wanted.items() if ip not in got.get(name, [])}
    assert not wrong, (
        f"lookups that did not answer the Service's ClusterIP: {wrong} (wanted {wanted})"
    )


@standard_base(
    id="network/pod-to-service",
    conformance=[f"{SIG} Services should serve a basic endpoint from pods [Conformance]"],
    needs=["real-kubelet", "dns"],
    timeout=120,
)
def test_pod_to_service(kube: Kube, kv_namespace: str) -> None:
    """A pod reaches a Service's pods over the Service name and its ClusterIP, as the endpoints
    change.
    """
    core, labels = kube.core, {"app": "endpoint-test2"}
    service = core.create_namespaced_service(
        kv_namespace, b.service("endpoint-test2", labels, [{"port": 80, "targetPort": 80}])
    )
    core.create_namespaced_pod(
        kv_namespace,
        b.pod("execpod", None, b.container(image=b.AGNHOST_IMAGE, command=["/agnhost", "pause"])),
    )
    wait_running_ready(kube, kv_namespace, "execpod", 60)

    def reachable() -> bool:
        """Upstream's check: over the Service's name, then over its ClusterIP."""
        for target in ("endpoint-test2", service.spec.cluster_ip):
            command = ["/bin/sh", "-c", f"echo hostName | nc -v -t -w 2 {target} 80"]
            output = exec_in(kube, kv_namespace, "execpod", command)
            assert "succeeded" in output or "open" in output, f"{target}: {output.strip()}"
        return True

    def serve(name: str) -> None:
        core.create_namespaced_pod(
            kv_namespace,
            b.pod(
                name,
                labels,
                b.container(
                    image=b.AGNHOST_IMAGE,
                    command=["/agnhost", "netexec", "--http-port", "80"],
                    ports=[{"containerPort": 80}],
                ),
            ),
        )
        wait_running_ready(kube, kv_namespace, name, 60)

    def endpoints(expected: set[str]) -> None:
        wait_for(
            f"endpoints {sorted(expected)}",
            lambda: set(_ready_endpoints(kube, kv_namespace, "endpoint-test2")) == expected,
            30,
        )

    endpoints(set())
    serve("pod1")
    endpoints({"pod1"})
    wait_for("the Service to forward to pod1", reachable, 30)
    serve("pod2")
    endpoints({"pod1", "pod2"})
    wait_for("the Service to forward to pod1 and pod2", reachable, 30)
    core.delete_namespaced_pod("pod1", kv_namespace)
    endpoints({"pod2"})
    wait_for("the Service to forward to pod2", reachable, 30)
    core.delete_namespaced_pod("pod2", kv_namespace)
    endpoints(set())
