"""The network APIs any cluster serves and its controllers keep: IngressClass and Ingress,
ServiceCIDR and IPAddress (the ClusterIP allocator's own records), Endpoints and EndpointSlices
written by hand, and those the controllers make for a Service whose selector matches no pod.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import copy
import ipaddress
import secrets
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import ClusterResource, Exercise, retry_on_conflict, rv
from conformance.standard_base.kube import Kube, gone, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-network]"
NETWORKING = "networking.k8s.io"


def _api_ops_labels(run_id: str) -> tuple[dict[str, str], str]:
    tag = secrets.token_hex(4)
    return (
        b.run_labels(run_id, **{"kubeadm-verify.io/api-ops": tag}),
        f"kubeadm-verify.io/api-ops={tag}",
    )


@standard_base(
    id="network/ingressclass-api",
    conformance=[
        f"{SIG} IngressClass API should support creating IngressClass API operations [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_ingressclass_api(kube: Kube, run_id: str) -> None:
    """networking.k8s.io IngressClasses are discovered and support create, get, list, watch,
    patch, update, delete and deletecollection.
    """
    labels, selector = _api_ops_labels(run_id)
    template = {
        "apiVersion": f"{NETWORKING}/v1",
        "kind": "IngressClass",
        "metadata": {"generateName": "ingressclass-", "labels": labels},
        "spec": {"controller": "example.com/controller"},
    }
    Exercise(
        kube,
        ClusterResource(NETWORKING, "v1", "ingressclasses", "IngressClass", ()),
        template,
        selector,
    ).run()


def _ingress(host: str, labels: dict[str, str]) -> dict[str, Any]:
    backend = {"service": {"name": "test-backend", "port": {"number": 8080}}}
    return {
        "apiVersion": f"{NETWORKING}/v1",
        "kind": "Ingress",
        "metadata": {"generateName": "e2e-example-ing", "labels": labels},
        "spec": {
            "defaultBackend": {"service": {"name": "default-backend", "port": {"number": 8080}}},
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {"path": "/", "pathType": "ImplementationSpecific", "backend": backend}
                        ]
                    },
                }
            ],
        },
    }


@standard_base(
    id="network/ingress-api",
    conformance=[f"{SIG} Ingress API should support creating Ingress API operations [Conformance]"],
    timeout=15,
)
def test_ingress_api(kube: Kube, kv_namespace: str) -> None:
    """networking.k8s.io Ingresses support every operation, in a namespace and cluster-wide, and
    their /status subresource reads, patches and updates the load balancer status.
    """
    labels = {"special-label": secrets.token_hex(4)}
    selector = f"special-label={labels['special-label']}"
    resource = ClusterResource(NETWORKING, "v1", "ingresses", "Ingress", ())
    Exercise(
        kube, resource, _ingress("host1.bar.com", labels), selector, namespace=kv_namespace
    ).run()
    api, args = kube.custom, (NETWORKING, "v1", kv_namespace, "ingresses")
    created = api.create_namespaced_custom_object(*args, _ingress("host3.bar.com", labels))
    name = created["metadata"]["name"]
    load_balancer = {"ingress": [{"ip": "169.1.1.1"}]}
    patched = api.patch_namespaced_custom_object_status(
        *args,
        name,
        {
            "metadata": {"annotations": {"patchedstatus": "true"}},
            "status": {"loadBalancer": load_balancer},
        },
    )
    assert patched["status"]["loadBalancer"] == load_balancer, (
        "the /status patch did not set the load balancer status"
    )
    assert patched["metadata"]["annotations"].get("patchedstatus") == "true", (
        "the /status patch did not add its annotation"
    )

    def update() -> dict[str, Any]:
        current = api.get_namespaced_custom_object(*args, name)
        current["status"] = {"loadBalancer": {"ingress": [{"ip": "169.1.1.2"}]}}
        result: dict[str, Any] = api.replace_namespaced_custom_object_status(*args, name, current)
        return result

    updated = retry_on_conflict(update)
    assert updated["status"]["loadBalancer"] == {"ingress": [{"ip": "169.1.1.2"}]}, (
        "the /status update did not set the load balancer status"
    )
    status = api.get_namespaced_custom_object_status(*args, name)
    assert status["metadata"]["uid"] == created["metadata"]["uid"], (
        "/status returned another Ingress"
    )
    api.delete_namespaced_custom_object(*args, name)


@standard_base(
    id="network/servicecidr-api",
    conformance=[
        f"{SIG} ServiceCIDR and IPAddress API should support ServiceCIDR API "
        "operations [Conformance]"
    ],
    timeout=15,
)
def test_servicecidr_api(kube: Kube, kv_namespace: str) -> None:
    """The default ServiceCIDR (the service subnet the API server was given) is served with its
    /status, listed and watched, and a new Service's ClusterIP falls inside it.
    """
    cidrs = (NETWORKING, "v1", "servicecidrs")
    default = kube.custom.get_cluster_custom_object(*cidrs, "kubernetes")
    status = kube.custom.get_cluster_custom_object_status(*cidrs, "kubernetes")
    assert (status["apiVersion"], status["kind"]) == (f"{NETWORKING}/v1", "ServiceCIDR"), (
        f"/status of the default ServiceCIDR is {status['apiVersion']} {status['kind']}"
    )
    assert status["metadata"]["uid"] == default["metadata"]["uid"], (
        "/status returned another ServiceCIDR"
    )
    listed = kube.custom.list_cluster_custom_object(*cidrs)
    assert listed["items"], "no ServiceCIDR is listed, not even the default"
    # The watch is served (opening it raises otherwise); the default ServiceCIDR comes first.
    with kube.events(
        kube.custom.list_cluster_custom_object,
        *cidrs,
        timeout=5,
        field_selector="metadata.name=kubernetes",
    ) as watch:
        watch.expect("ADDED", "kubernetes")
    ranges = [ipaddress.ip_network(c) for c in default["spec"]["cidrs"]]
    service = kube.core.create_namespaced_service(
        kv_namespace, b.service("in-range", None, [{"port": 80, "targetPort": 80}])
    )
    cluster_ip = ipaddress.ip_address(service.spec.cluster_ip)
    assert any(cluster_ip in r for r in ranges), (
        f"ClusterIP {cluster_ip} is outside the default ServiceCIDR {default['spec']['cidrs']}"
    )


def _free_test_addresses() -> tuple[str, str]:
    """An IPv4 address of 198.18.0.0/15 and an IPv6 one of 2001:db8::/32 (benchmarking and
    documentation ranges no cluster allocates), random so runs do not collide."""
    v4 = ipaddress.ip_address(int(ipaddress.ip_address("198.18.0.0")) + secrets.randbelow(2**17))
    v6 = ipaddress.ip_address(int(ipaddress.ip_address("2001:db8::")) + secrets.randbits(64))
    return str(v4), str(v6)


@standard_base(
    id="network/ipaddress-api",
    conformance=[
        f"{SIG} ServiceCIDR and IPAddress API should support IPAddress API operations [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_ipaddress_api(kube: Kube, run_id: str, kv_namespace: str) -> None:
    """IPAddresses (IPv4 and IPv6) are created, patched, updated, read, listed, watched, deleted
    and deleted by collection; the allocator records a new Service's ClusterIP as one.
    """
    api, addresses = kube.custom, (NETWORKING, "v1", "ipaddresses")
    v4, v6 = _free_test_addresses()
    tag = secrets.token_hex(4)
    parent = {"group": "mygroup", "resource": "myresources", "namespace": "foo", "name": "bar"}

    def address(name: str, kind: str) -> dict[str, Any]:
        return {
            "apiVersion": f"{NETWORKING}/v1",
            "kind": "IPAddress",
            "metadata": b.metadata(name, b.run_labels(run_id, type=f"{kind}-{tag}")),
            "spec": {"parentRef": parent},
        }

    created = api.create_cluster_custom_object(*addresses, address(v4, "broadcast"))
    try:
        api.create_cluster_custom_object(*addresses, address(v6, "link-local"))
        patched = api.patch_cluster_custom_object(
            *addresses, v4, {"metadata": {"annotations": {"patched": "true"}}}
        )
        assert patched["metadata"]["annotations"].get("patched") == "true", (
            "the patch did not add its annotation"
        )
        assert rv(patched) > rv(created), "the patched IPAddress has no larger resource version"

        def update() -> dict[str, Any]:
            current = copy.deepcopy(api.get_cluster_custom_object(*addresses, v4))
            current["metadata"]["annotations"]["updated"] = "true"
            result: dict[str, Any] = api.replace_cluster_custom_object(*addresses, v4, current)
            return result

        assert retry_on_conflict(update)["metadata"]["annotations"].get("updated") == "true", (
            "the update did not add its annotation"
        )
        listed = api.list_cluster_custom_object(*addresses, label_selector=f"type=broadcast-{tag}")
        assert len(listed["items"]) == 1, f"the filtered list has {len(listed['items'])} items"
        with kube.events(
            api.list_cluster_custom_object,
            *addresses,
            timeout=5,
            label_selector=f"type=broadcast-{tag}",
        ) as watch:
            watch.expect("ADDED", v4)
        api.delete_cluster_custom_object(*addresses, v4)
        api.delete_collection_cluster_custom_object(
            *addresses, label_selector=f"type=link-local-{tag}"
        )
        left = api.list_cluster_custom_object(*addresses, label_selector=f"type=link-local-{tag}")
        assert not left["items"], "deletecollection left IPAddresses behind"
    finally:
        api.delete_collection_cluster_custom_object(
            *addresses, label_selector=f"kubeadm-verify.io/test-run={run_id}"
        )
    service = kube.core.create_namespaced_service(
        kv_namespace, b.service("recorded", None, [{"port": 80, "targetPort": 80}])
    )
    record = api.get_cluster_custom_object(*addresses, service.spec.cluster_ip)
    ref = record["spec"]["parentRef"]
    assert (ref.get("resource"), ref.get("namespace"), ref.get("name")) == (
        "services",
        kv_namespace,
        "recorded",
    ), f"the IPAddress of ClusterIP {service.spec.cluster_ip} does not name its Service"


@standard_base(
    id="network/endpoints-lifecycle",
    conformance=[f"{SIG} Endpoints should test the lifecycle of an Endpoint [Conformance]"],
    timeout=15,
)
def test_endpoints_lifecycle(kube: Kube, kv_namespace: str) -> None:
    """Hand-written core v1 Endpoints are created, listed across namespaces, updated and patched
    (each change seen by a watch), and deleted by collection.
    """
    core, tag = kube.core, secrets.token_hex(4)
    selector = f"test-endpoint-static={tag}"
    body = {
        "metadata": b.metadata("testservice", {"test-endpoint-static": tag}),
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.24"}],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            }
        ],
    }
    since = core.list_endpoints_for_all_namespaces(label_selector=selector).metadata
    with kube.events(
        core.list_namespaced_endpoints,
        kv_namespace,
        label_selector=selector,
        resource_version=since.resource_version,
        timeout=10,
    ) as watch:
        created = core.create_namespaced_endpoints(kv_namespace, body)
        watch.expect("ADDED", "testservice")
        listed = core.list_endpoints_for_all_namespaces(label_selector=selector).items
        assert [(e.metadata.namespace, e.metadata.name) for e in listed] == [
            (kv_namespace, "testservice")
        ], "the Endpoints are not listed across namespaces"
        found = listed[0]
        found.metadata.labels["test-service"] = "updated"
        core.replace_namespaced_endpoints("testservice", kv_namespace, found)
        watch.expect("MODIFIED", "testservice")
        read = core.read_namespaced_endpoints("testservice", kv_namespace)
        assert read.metadata.labels.get("test-service") == "updated", "the update was lost"
        patched = core.patch_namespaced_endpoints(
            "testservice",
            kv_namespace,
            {
                "metadata": {"labels": {"test-service": "patched"}},
                "subsets": [
                    {
                        "addresses": [{"ip": "10.0.0.25"}],
                        "ports": [{"name": "http-test", "port": 8080}],
                    }
                ],
            },
        )
        assert int(patched.metadata.resource_version) > int(created.metadata.resource_version), (
            "the patched Endpoints have no larger resource version"
        )
        watch.expect("MODIFIED", "testservice")
    read = core.read_namespaced_endpoints("testservice", kv_namespace)
    subset = read.subsets[0]
    got = (
        read.metadata.labels.get("test-service"),
        subset.addresses[0].ip,
        subset.ports[0].name,
        subset.ports[0].port,
    )
    assert got == ("patched", "10.0.0.25", "http-test", 8080), f"after the patch: {got}"
    core.delete_collection_namespaced_endpoints(kv_namespace, label_selector=selector)
    wait_for(
        "the Endpoints to be deleted by collection",
        lambda: gone(lambda: core.read_namespaced_endpoints("testservice", kv_namespace)),
        10,
    )


@standard_base(
    id="network/endpointslice-api",
    conformance=[
        f"{SIG} EndpointSlice should support creating EndpointSlice API operations [Conformance]"
    ],
    timeout=15,
)
def test_endpointslice_api(kube: Kube, kv_namespace: str) -> None:
    """discovery.k8s.io EndpointSlices support every operation, in a namespace and
    cluster-wide.
    """
    labels = {"special-label": secrets.token_hex(4)}
    template = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"generateName": "e2e-example-ing", "labels": labels},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["1.2.3.4", "5.6.7.8"]}, {"addresses": ["2.2.3.4", "6.6.7.8"]}],
    }
    Exercise(
        kube,
        ClusterResource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", ()),
        template,
        f"special-label={labels['special-label']}",
        namespace=kv_namespace,
    ).run()


@standard_base(
    id="network/empty-selector-endpoints",
    conformance=[
        f"{SIG} EndpointsController should create and delete Endpoints for a Service with a "
        "selector that matches no pods [Conformance]",
        f"{SIG} EndpointSlice should create and delete EndpointSlices for a Service with a "
        "selector that matches no pods [Conformance]",
    ],
    timeout=30,
)
def test_empty_selector_endpoints(kube: Kube, kv_namespace: str) -> None:
    """For a Service whose selector matches no pod the controllers still make (empty) Endpoints
    and an EndpointSlice managed by the EndpointSlice controller, and remove both with it.
    """
    core, slices = kube.core, kube.discovery
    name = "example-empty-selector"
    core.create_namespaced_service(
        kv_namespace,
        b.service(
            name,
            {"does-not-match-anything": "endpoints-and-endpoint-slices-should-still-be-created"},
            [{"name": "example", "port": 80, "protocol": "TCP"}],
        ),
    )
    by_service = f"kubernetes.io/service-name={name}"
    wait_for(
        "the endpoints controller to create the Endpoints",
        lambda: not gone(lambda: core.read_namespaced_endpoints(name, kv_namespace)),
        10,
    )
    found = wait_for(
        "the EndpointSlice controller to create an EndpointSlice",
        lambda: (
            slices.list_namespaced_endpoint_slice(kv_namespace, label_selector=by_service).items
        ),
        10,
    )
    managed_by = (found[0].metadata.labels or {}).get("endpointslice.kubernetes.io/managed-by")
    assert managed_by == "endpointslice-controller.k8s.io", (
        f"the EndpointSlice is managed by {managed_by!r}, not the EndpointSlice controller"
    )
    assert not found[0].endpoints, f"the EndpointSlice has {len(found[0].endpoints)} endpoints"
    core.delete_namespaced_service(name, kv_namespace)
    wait_for(
        "the Endpoints to be deleted with the Service",
        lambda: gone(lambda: core.read_namespaced_endpoints(name, kv_namespace)),
        10,
    )
    wait_for(
        "the EndpointSlice to be deleted with the Service",
        lambda: (
            not (
                slices.list_namespaced_endpoint_slice(kv_namespace, label_selector=by_service).items
            )
        ),
        10,
    )


@standard_base(
    id="network/service-api",
    conformance=[
        f"{SIG} Services should complete a service status lifecycle [Conformance]",
        f"{SIG} Services should delete a collection of services [Conformance]",
        f"{SIG} Services should find a service from listing all namespaces [Conformance]",
    ],
    timeout=20,
)
def test_service_api(kube: Kube, kv_namespace: str) -> None:
    """A LoadBalancer Service of a class no controller serves has its /status read, patched (a
    load balancer IP) and updated (a condition), and its labels patched, each seen by a watch;
    Services are deleted by collection; the default/kubernetes Service is listed across
    namespaces.
    """
    core, tag = kube.core, secrets.token_hex(4)
    selector = f"test-service-static={tag}"
    since = core.list_service_for_all_namespaces(label_selector=selector).metadata
    service = b.service(
        "test-service", None, [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80}]
    )
    service["metadata"]["labels"] = {"test-service-static": tag}
    service["spec"].update(type="LoadBalancer", loadBalancerClass="example.com/internal-vip")
    with kube.events(
        core.list_namespaced_service,
        kv_namespace,
        label_selector=selector,
        resource_version=since.resource_version,
        timeout=15,
    ) as watch:
        created = core.create_namespaced_service(kv_namespace, service)
        watch.expect("ADDED", "test-service")
        status = kube.raw_json(f"/api/v1/namespaces/{kv_namespace}/services/test-service/status")
        assert status["metadata"]["uid"] == created.metadata.uid, "/status returned another one"
        core.patch_namespaced_service_status(
            "test-service",
            kv_namespace,
            {
                "metadata": {"annotations": {"patchedstatus": "true"}},
                "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}},
            },
        )
        event = watch.expect("MODIFIED", "test-service")
        ingress = event["object"]["status"].get("loadBalancer", {}).get("ingress", [])
        assert [i.get("ip") for i in ingress] == ["203.0.113.1"], (
            "the watch did not show the patched load balancer status"
        )

        def add_condition() -> Any:
            current = core.read_namespaced_service("test-service", kv_namespace)
            current.status.conditions = [
                *(current.status.conditions or []),
                client.V1Condition(
                    type="StatusUpdate",
                    status="True",
                    reason="E2E",
                    message="Set from e2e test",
                    last_transition_time=datetime.now(UTC),
                ),
            ]
            return core.replace_namespaced_service_status("test-service", kv_namespace, current)

        retry_on_conflict(add_condition)
        event = watch.expect("MODIFIED", "test-service")
        conditions = [c["type"] for c in event["object"]["status"].get("conditions", [])]
        assert "StatusUpdate" in conditions, "the watch did not show the updated condition"
        core.patch_namespaced_service(
            "test-service", kv_namespace, {"metadata": {"labels": {"test-service": "patched"}}}
        )
        event = watch.expect("MODIFIED", "test-service")
        assert event["object"]["metadata"]["labels"].get("test-service") == "patched", (
            "the watch did not show the patched label"
        )
        core.delete_namespaced_service("test-service", kv_namespace)
        watch.expect("DELETED", "test-service")
    doomed = {"kubeadm-verify.io/delete": tag}
    for index in range(3):
        body = b.service(f"doomed-{index}", None, [{"port": 80, "targetPort": 80}])
        body["metadata"]["labels"] = doomed
        core.create_namespaced_service(kv_namespace, body)
    core.create_namespaced_service(kv_namespace, b.service("kept", None, [{"port": 80}]))
    assert len(core.list_namespaced_service(kv_namespace).items) == 4, "not 4 Services listed"
    core.delete_collection_namespaced_service(
        kv_namespace, label_selector=f"kubeadm-verify.io/delete={tag}"
    )
    left = [s.metadata.name for s in core.list_namespaced_service(kv_namespace).items]
    assert left == ["kept"], f"after deletecollection the namespace lists {left}"
    everywhere = core.list_service_for_all_namespaces().items
    assert any(
        (s.metadata.namespace, s.metadata.name) == ("default", "kubernetes") for s in everywhere
    ), "default/kubernetes is not listed across namespaces"
