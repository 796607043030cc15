"""Objects whose whole life is an API matter: a Node object no kubelet backs, and an Endpoints
object of the user's own that the EndpointSlice mirroring controller copies into slices.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import retry_on_conflict
from conformance.standard_base.kube import Kube, gone, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodes import KWOK_ANNOTATION

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MIRROR_WAIT_S = 10  # upstream polls 12 s; the mirroring controller batches for 1 s at most


@standard_base(
    id="node/node-object-lifecycle",
    conformance=[
        "[sig-node] Node Lifecycle should run through the lifecycle of a node [Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=8,
)
def test_node_object_lifecycle(kube: Kube, run_id: str) -> None:
    """A Node object is created (cordoned, so no pod is ever placed on it), read, patched to a
    larger resource version, found by its new label, updated and deleted.
    """
    core = kube.core
    name = b.unique("e2e-fake-node")
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        # The kwok key marks it as no kubelet's, so the tests that visit every real node pass it
        # by while it exists; the value is not the one kwok manages, so kwok leaves it alone.
        "metadata": b.metadata(
            name, b.run_labels(run_id), annotations={KWOK_ANNOTATION: "e2e-fake-node"}
        ),
        "spec": {"unschedulable": True},
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "E2E", "message": "Set from e2e test"}
            ],
        },
    }
    created = core.create_node(node)
    try:
        assert created.metadata.name == name, f"the created Node is named {created.metadata.name}"
        version = int(created.metadata.resource_version)
        assert core.read_node(name).metadata.uid == created.metadata.uid, "get returned another"
        patched = core.patch_node(name, {"metadata": {"labels": {name: "patched"}}})
        assert (patched.metadata.labels or {}).get(name) == "patched", "the patch is missing"
        assert int(patched.metadata.resource_version) > version, (
            "the patched Node has no larger resource version"
        )
        listed = core.list_node(label_selector=f"{name}=patched").items
        assert [n.metadata.name for n in listed] == [name], (
            f"{len(listed)} Nodes listed by the patched label, not 1"
        )

        def update() -> Any:
            current = core.read_node(name)
            current.metadata.labels[name] = "updated"
            return core.replace_node(name, current)

        updated = retry_on_conflict(update)
        assert updated.metadata.labels.get(name) == "updated", "the updated label is missing"
    finally:
        core.delete_node(name)
    wait_for(f"Node {name} to be deleted", lambda: gone(lambda: core.read_node(name)), 5)


def _mirrored(kube: Kube, ns: str, service: str, address: str) -> bool:
    """One EndpointSlice of ``service``: port 80, one endpoint with ``address`` alone."""
    slices = kube.discovery.list_namespaced_endpoint_slice(
        ns, label_selector=f"{SERVICE_NAME_LABEL}={service}"
    ).items
    assert len(slices) == 1, f"{len(slices)} EndpointSlices for {service}, not 1"
    found = slices[0]
    ports = [p.port for p in found.ports or []]
    assert ports == [80], f"the mirrored EndpointSlice has ports {ports}, not [80]"
    addresses = [e.addresses for e in found.endpoints or []]
    assert addresses == [[address]], (
        f"the mirrored EndpointSlice has addresses {addresses}, not [[{address!r}]]"
    )
    return True


@standard_base(
    id="network/endpointslice-mirroring",
    conformance=[
        "[sig-network] EndpointSliceMirroring should mirror a custom Endpoints resource through "
        "create update and delete [Conformance]"
    ],
    timeout=15,
)
def test_endpointslice_mirroring(kube: Kube, kv_namespace: str) -> None:
    """An Endpoints object of a selector-less Service is mirrored into one EndpointSlice, an
    update to it is mirrored, and its deletion takes the slice away.
    """
    core, ns = kube.core, kv_namespace
    service = b.unique("example-custom-endpoints")
    core.create_namespaced_service(
        ns, b.service(service, None, [{"name": "example", "port": 80, "protocol": "TCP"}])
    )

    def endpoints(address: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": service},
            "subsets": [{"ports": [{"port": 80}], "addresses": [{"ip": address}]}],
        }

    core.create_namespaced_endpoints(ns, endpoints("10.1.2.3"))
    wait_for(
        "the custom Endpoints to be mirrored",
        lambda: _mirrored(kube, ns, service, "10.1.2.3"),
        MIRROR_WAIT_S,
    )
    core.replace_namespaced_endpoints(service, ns, endpoints("10.2.3.4"))
    wait_for(
        "the update of the custom Endpoints to be mirrored",
        lambda: _mirrored(kube, ns, service, "10.2.3.4"),
        MIRROR_WAIT_S,
    )
    core.delete_namespaced_endpoints(service, ns)

    def no_slice() -> bool:
        slices = kube.discovery.list_namespaced_endpoint_slice(
            ns, label_selector=f"{SERVICE_NAME_LABEL}={service}"
        ).items
        assert not slices, f"{len(slices)} EndpointSlices left for {service}"
        return True

    wait_for("the mirrored EndpointSlice to go with its Endpoints", no_slice, MIRROR_WAIT_S)
