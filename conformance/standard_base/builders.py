"""Manifests the tests create, as plain dicts: small, explicit, and the same on every cluster.

Pods carry the suite's tolerations (``conformance.standard_base.nodes``), no grace period (nothing
here needs
one, and deletion stays fast), and images from upstream's e2e set (test/utils/image/manifest.go
of v1.37.2) so a real kubelet runs exactly what upstream's conformance tests run.
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.standard_base.nodes import RUN_LABEL as RUN_LABEL
from conformance.standard_base.nodes import tolerations

PAUSE_IMAGE = "registry.k8s.io/pause:3.10.2"
BUSYBOX_IMAGE = "registry.k8s.io/e2e-test-images/busybox:1.37.0-2"
AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"

Manifest = dict[str, Any]


def unique(prefix: str) -> str:
    """A name no other test (or run) uses: ``prefix-<8 hex>``."""
    return f"{prefix}-{secrets.token_hex(4)}"


def metadata(name: str, labels: dict[str, str] | None = None, **extra: Any) -> Manifest:
    meta: Manifest = {"name": name, **extra}
    if labels:
        meta["labels"] = dict(labels)
    return meta


def container(
    name: str = "main",
    image: str = PAUSE_IMAGE,
    command: list[str] | None = None,
    **extra: Any,
) -> Manifest:
    spec: Manifest = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
        **extra,
    }
    if command is not None:
        spec["command"] = command
    return spec


def pod_spec(*containers: Manifest, **extra: Any) -> Manifest:
    return {
        "containers": list(containers) or [container()],
        "tolerations": tolerations(),
        "terminationGracePeriodSeconds": 0,
        **extra,
    }


def pod(
    name: str, labels: dict[str, str] | None = None, *containers: Manifest, **spec: Any
) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata(name, labels),
        "spec": pod_spec(*containers, **spec),
    }


def template(labels: dict[str, str], *containers: Manifest, **spec: Any) -> Manifest:
    return {"metadata": {"labels": dict(labels)}, "spec": pod_spec(*containers, **spec)}


def deployment(name: str, labels: dict[str, str], replicas: int, **spec: Any) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": template(labels),
            **spec,
        },
    }


def replica_set(name: str, labels: dict[str, str], replicas: int) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": metadata(name, labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": template(labels),
        },
    }


def service(name: str, selector: dict[str, str] | None, ports: list[Manifest]) -> Manifest:
    spec: Manifest = {"ports": ports}
    if selector is not None:
        spec["selector"] = dict(selector)
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(name), "spec": spec}


def run_labels(run_id: str, **more: str) -> dict[str, str]:
    """The label every cluster-scoped object (or object outside our namespace) carries."""
    return {RUN_LABEL: run_id, **more}
