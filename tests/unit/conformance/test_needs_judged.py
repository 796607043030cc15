"""The needs' verdicts: read leanly from a cluster of any size, judged outside any test's own
time, and a broken DNS said with its pods' and Deployment's state."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS
from typing import Any

import pytest
from kubernetes import client

from conformance.standard_base import conftest, needs, nodelist
from conformance.standard_base.kube import RawResponse
from conformance.standard_base.marker import make_spec
from conformance.standard_base.nodes import KWOK_ANNOTATION, describe, is_schedulable


def node_json(
    name: str, ready: bool = True, simulated: bool = True, taints: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": "u" * 36,
            "labels": {"type": "kwok"},
            "annotations": {KWOK_ANNOTATION: "fake"}
            if simulated
            else {"node.alpha.kubernetes.io/ttl": "0"},
            "managedFields": [{"manager": "kwok", "fieldsV1": {"f:status": {}}}],
        },
        "spec": {"taints": [{"key": key, "effect": "NoSchedule"} for key in taints]},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletReady" if ready else "KubeletNotReady",
                    "message": "" if ready else "cni plugin not initialized",
                },
            ],
            "allocatable": {"cpu": "32", "pods": "110"},
            "images": [{"names": ["registry.k8s.io/pause:3.10"], "sizeBytes": 1}],
        },
    }


class PagedCluster:
    """``Kube.raw`` answering ``GET /api/v1/nodes`` as the API server does: ``limit`` items a
    page, a ``continue`` token while more remain, or an error Status."""

    def __init__(self, items: list[dict[str, Any]], status: int = 200) -> None:
        self.items = items
        self.status = status
        self.queries: list[dict[str, str]] = []

    def raw(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        query: list[tuple[str, str]] | None = None,
        **_: Any,
    ) -> RawResponse:
        assert (method, path) == ("GET", nodelist.NODES_PATH)
        asked = dict(query or [])
        self.queries.append(asked)
        if self.status != 200:
            refusal = {"kind": "Status", "message": 'nodes is forbidden: User "x" cannot list'}
            return RawResponse(self.status, {}, json.dumps(refusal).encode())
        start = int(asked.get("continue", "0"))
        limit = int(asked["limit"])
        page = self.items[start : start + limit]
        more = start + limit < len(self.items)
        body = {"items": page, "metadata": {"continue": str(start + limit) if more else ""}}
        return RawResponse(200, {}, json.dumps(body).encode())


def test_a_node_view_keeps_what_the_judgements_read() -> None:
    tainted = nodelist.view(node_json("kwok-0", taints=("node.kubernetes.io/not-ready",)))
    assert tainted.metadata.name == "kwok-0"
    assert tainted.metadata.annotations == {KWOK_ANNOTATION: "fake"}
    assert tainted.metadata.labels == {"type": "kwok"}
    assert [c.type for c in tainted.status.conditions] == ["Ready"]
    assert tainted.status.allocatable == {"cpu": "32", "pods": "110"}
    assert not is_schedulable(tainted)
    assert describe([tainted]) == "kwok-0 tainted node.kubernetes.io/not-ready:NoSchedule"
    broken = nodelist.view(node_json("real-0", ready=False, simulated=False))
    assert broken.metadata.annotations == {}
    assert describe([broken]) == (
        "real-0 NotReady (Ready=False, KubeletNotReady: cni plugin not initialized)"
    )
    assert nodelist.view({}).metadata.name == "" and not nodelist.view({}).status.conditions


def test_every_node_is_listed_a_page_at_a_time() -> None:
    cluster = PagedCluster([node_json(f"kwok-{i:04}") for i in range(1203)])
    found = nodelist.list_nodes(cluster)  # type: ignore[arg-type]
    assert [n.metadata.name for n in found] == [f"kwok-{i:04}" for i in range(1203)]
    assert len(cluster.queries) == 5
    assert all(q["limit"] == str(nodelist.PAGE) for q in cluster.queries)
    assert "continue" not in cluster.queries[0] and cluster.queries[-1]["continue"] == "1000"
    nodelist.list_nodes(cluster, "type=kwok")  # type: ignore[arg-type]
    assert cluster.queries[-1]["labelSelector"] == "type=kwok"


def test_a_sample_of_nodes_costs_one_page() -> None:
    items = [node_json(f"kwok-{i:04}", ready=i % 2 == 1) for i in range(1000)]
    cluster = PagedCluster(items)
    sample = nodelist.first_nodes(cluster, 3, is_schedulable)  # type: ignore[arg-type]
    assert [n.metadata.name for n in sample] == ["kwok-0001", "kwok-0003", "kwok-0005"]
    assert len(cluster.queries) == 1
    none_ready = PagedCluster([node_json(f"kwok-{i}", ready=False) for i in range(120)])
    assert nodelist.first_nodes(none_ready, 3, is_schedulable) == []  # type: ignore[arg-type]
    assert len(none_ready.queries) == 3


def test_a_node_view_keeps_its_pod_cidrs_in_either_form() -> None:
    dual = node_json("real-0", simulated=False)
    dual["spec"]["podCIDRs"] = ["10.244.1.0/24", "fd00:1::/64"]
    dual["spec"]["podCIDR"] = "10.244.1.0/24"
    single = node_json("old-0", simulated=False)
    single["spec"]["podCIDR"] = "10.244.2.0/24"
    assert nodelist.view(dual).spec.pod_cidrs == ("10.244.1.0/24", "fd00:1::/64")
    assert nodelist.view(single).spec.pod_cidrs == ("10.244.2.0/24",)
    assert nodelist.view(node_json("kwok-0")).spec.pod_cidrs == ()


def test_only_the_real_nodes_are_read_whole() -> None:
    """Of a thousand simulated nodes and two real ones, two whole Nodes are read."""
    items = [node_json(f"kwok-{i:04}") for i in range(1000)]
    items += [node_json("real-a", simulated=False), node_json("real-b", simulated=False)]
    cluster = PagedCluster(items)
    read: list[str] = []

    def read_node(name: str) -> str:
        read.append(name)
        return name

    cluster.core = NS(read_node=read_node)  # type: ignore[attr-defined]
    assert nodelist.real_node_objects(cluster) == ["real-a", "real-b"]  # type: ignore[arg-type]
    assert read == ["real-a", "real-b"]
    assert len(cluster.queries) == 5  # 1002 nodes, 250 a page


def test_no_standard_base_test_lists_every_node_whole() -> None:
    """A whole ``list_node()`` of a thousand nodes is tens of megabytes of the client's models:
    the tier lists Nodes through ``nodelist`` (or a label selector that picks a few)."""
    from pathlib import Path

    folder = Path(nodelist.__file__).parent
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(folder.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "list_node()" in line
    ]
    assert offenders == [], offenders


def test_a_refused_listing_is_an_api_error_with_the_servers_words() -> None:
    with pytest.raises(client.ApiException) as raised:
        nodelist.list_nodes(PagedCluster([], status=403))  # type: ignore[arg-type]
    assert raised.value.status == 403
    assert b"cannot list" in raised.value.body


def deployment(name: str, replicas: int | None, ready: int | None) -> Any:
    return NS(metadata=NS(name=name), spec=NS(replicas=replicas), status=NS(ready_replicas=ready))


def test_dns_scaled_to_zero_says_so() -> None:
    verdict = needs.judge_dns(NS(), [], [], {"real-0"}, [deployment("coredns", 0, None)])
    assert verdict is not None and verdict.broken
    assert verdict.reason == (
        "Service kube-system/kube-dns has no ready endpoint: no pod in kube-system carries "
        "k8s-app=kube-dns (is CoreDNS deployed?); Deployment kube-system/coredns: 0 of 0 "
        "replicas ready (scaled to 0)"
    )
    pending = needs.judge_dns(
        NS(),
        [],
        [NS(metadata=NS(name="coredns-a"), status=NS(phase="Pending", conditions=[]))],
        {"real-0"},
        [deployment("coredns", 2, 0)],
    )
    assert pending is not None
    assert pending.reason.endswith(
        "coredns-a Pending, not Ready; Deployment kube-system/coredns: 0 of 2 replicas ready"
    )


class _Item:
    """What ``pytest_runtest_protocol`` reads of a test: its spec, its markers, the config."""

    def __init__(self, spec: Any, config: Any) -> None:
        self.stash = pytest.Stash()
        if spec is not None:
            self.stash[conftest.SPEC] = spec
        self.config = config
        self.markers: list[pytest.MarkDecorator] = []

    def add_marker(self, marker: pytest.MarkDecorator, append: bool = True) -> None:
        assert append is False, "the judging time must be the closest timeout marker"
        self.markers.append(marker)


def _protocol(item: _Item) -> list[pytest.MarkDecorator]:
    hook = conftest.pytest_runtest_protocol(item, None)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(True)
    return item.markers


def _timeouts(markers: list[pytest.MarkDecorator]) -> list[float]:
    assert all(m.mark.name == "timeout" for m in markers), markers
    return [m.mark.args[0] for m in markers]


def test_the_first_test_asking_for_the_verdicts_gets_the_time_to_judge_them() -> None:
    config = NS(stash=pytest.Stash())
    wants = make_spec("network/dns-resolution", needs=["dns"], timeout=30)
    plain = make_spec("api-machinery/server-version", timeout=15)
    assert _timeouts(_protocol(_Item(plain, config))) == [15 + conftest.SESSION_SETUP_S]
    assert _protocol(_Item(plain, config)) == []
    assert _protocol(_Item(None, config)) == []
    assert _timeouts(_protocol(_Item(wants, config))) == [30 + needs.JUDGE_S]
    assert needs.JUDGE_S > needs.SETTLE_S
    config.stash[conftest.NEEDS_JUDGED] = True
    assert _protocol(_Item(wants, config)) == []


def test_a_session_that_starts_with_a_test_wanting_needs_gives_it_both() -> None:
    config = NS(stash=pytest.Stash())
    wants = make_spec("apps/job-completion", needs=["nodes"], timeout=60)
    assert _timeouts(_protocol(_Item(wants, config))) == [
        60 + conftest.SESSION_SETUP_S + needs.JUDGE_S
    ]
