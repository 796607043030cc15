"""Nodes listed lean: a page at a time, each kept as the few fields the judgements read.

A cluster of a thousand nodes answers a whole ``list_node`` with megabytes of JSON, which the
official client turns into tens of megabytes of model objects, all alive at once. The suite's
judgements (:mod:`conformance.standard_base.nodes`) read a node's name, its kwok annotation, its
labels, its Ready condition, its taints, whether it is cordoned and what it can allocate; so
the listing here asks for pages of :data:`PAGE` nodes (``limit``/``continue``), keeps those
fields of each node in a small :class:`NodeView` with the same attribute names as the client's
models, and lets each page's JSON go before the next is read. A wrong answer from the server
raises the client's own ``ApiException``, so a failure reads as any other API error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from conformance.standard_base.kube import Kube
from conformance.standard_base.nodes import KWOK_ANNOTATION, is_simulated

PAGE = 250
"""Nodes per request: small enough that one page's JSON is under a megabyte."""
NODES_PATH = "/api/v1/nodes"


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: str
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    effect: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Metadata:
    name: str
    annotations: Mapping[str, str]
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Spec:
    unschedulable: bool
    taints: tuple[Taint, ...]
    pod_cidrs: tuple[str, ...] = ()
    """``podCIDRs``, or the one ``podCIDR`` of a Node that gives only that."""


@dataclass(frozen=True, slots=True)
class Status:
    conditions: tuple[Condition, ...]
    allocatable: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NodeView:
    """What the judgements read of a Node, under the client's attribute names."""

    metadata: Metadata
    spec: Spec
    status: Status


def view(item: Mapping[str, Any]) -> NodeView:
    """The lean view of one Node as the API's JSON gives it; only the Ready condition and the
    kwok annotation are kept of their lists, of the rest of the status only ``allocatable``."""
    meta = item.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    spec = item.get("spec") or {}
    status = item.get("status") or {}
    conditions = status.get("conditions") or []
    return NodeView(
        metadata=Metadata(
            name=str(meta.get("name", "")),
            annotations={k: str(v) for k, v in annotations.items() if k == KWOK_ANNOTATION},
            labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        ),
        spec=Spec(
            unschedulable=bool(spec.get("unschedulable")),
            taints=tuple(
                Taint(str(t.get("key", "")), str(t.get("effect", "")), t.get("value"))
                for t in spec.get("taints") or []
            ),
            pod_cidrs=tuple(str(c) for c in spec.get("podCIDRs") or _one(spec.get("podCIDR"))),
        ),
        status=Status(
            conditions=tuple(
                Condition(
                    str(c.get("type")), str(c.get("status")), c.get("reason"), c.get("message")
                )
                for c in conditions
                if c.get("type") == "Ready"
            ),
            allocatable={str(k): str(v) for k, v in (status.get("allocatable") or {}).items()},
        ),
    )


def _one(value: Any) -> list[Any]:
    return [value] if value else []


def pages(
    kube: Kube, label_selector: str | None = None, page: int = PAGE
) -> Iterator[list[NodeView]]:
    """Every Node, one page of views at a time, in the server's (name) order."""
    token = ""
    while True:
        query = [("limit", str(page))]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if token:
            query.append(("continue", token))
        response = kube.raw("GET", NODES_PATH, headers={"Accept": "application/json"}, query=query)
        if response.status != 200:
            error = client.ApiException(status=response.status, reason="listing the Nodes")
            error.body = response.body
            raise error
        body = response.json()
        yield [view(item) for item in body.get("items") or []]
        token = str((body.get("metadata") or {}).get("continue") or "")
        if not token:
            return


def list_nodes(kube: Kube, label_selector: str | None = None) -> list[NodeView]:
    """Every Node (matching ``label_selector``), as lean views."""
    return [node for found in pages(kube, label_selector) for node in found]


def real_node_objects(kube: Kube) -> list[Any]:
    """The Nodes a real kubelet registered, as the client's whole models (their addresses and
    kubelet endpoint included): found in the lean listing, then read one by one, so a cluster
    of a thousand simulated nodes and a few real ones costs a few reads, not a thousand models."""
    real = [node.metadata.name for node in list_nodes(kube) if not is_simulated(node)]
    return [kube.core.read_node(name) for name in real]


def first_nodes(kube: Kube, count: int, wanted: Callable[[NodeView], bool]) -> list[NodeView]:
    """Up to ``count`` nodes for which ``wanted`` holds, the first by name: the listing stops
    at the page that completes them, so a sample costs one page on a cluster of any size."""
    found: list[NodeView] = []
    for batch in pages(kube, page=max(count * 4, 50)):
        found += [node for node in batch if wanted(node)]
        if len(found) >= count:
            return found[:count]
    return found


__all__ = ["PAGE", "NodeView", "first_nodes", "list_nodes", "pages", "real_node_objects", "view"]
