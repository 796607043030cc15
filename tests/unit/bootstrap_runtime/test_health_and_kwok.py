"""Small pure pieces: Go durations, kwok's stages and flags, the fixtures' names and ports."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from bootstrap.fixtures import namespace_name
from bootstrap.runtime import cluster, health, kwok
from bootstrap.runtime.health import go_duration
from bootstrap.runtime.state import StateDir
from kubeadm_verify.errors import BootstrapError


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1.002242613, "1.002242613s"),
        (0.5023, "502.3ms"),
        (240, "4m0s"),
        (65.25, "1m5.25s"),
        (0.000012, "12µs"),
        (3600, "1h0m0s"),
    ],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_kwok_stages_are_five_stage_documents() -> None:
    documents = list(yaml.safe_load_all(kwok.STAGES))
    assert [d["metadata"]["name"] for d in documents] == [
        "node-initialize",
        "node-heartbeat-with-lease",
        "pod-ready",
        "pod-complete",
        "pod-delete",
    ]
    assert all(
        d["kind"] == "Stage" and d["apiVersion"] == "kwok.x-k8s.io/v1alpha1" for d in documents
    )


def test_kwok_manages_only_annotated_nodes(tmp_path: Path) -> None:
    command = kwok.command(StateDir(tmp_path, "c"), "/bin/kwok")
    assert "--manage-all-nodes=false" in command
    assert "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake" in command
    assert f"--kubeconfig={tmp_path / 'admin.conf'}" in command
    assert kwok.node("n")["metadata"]["annotations"][kwok.ANNOTATION] == "fake"


def test_namespace_names_are_dns_labels() -> None:
    name = namespace_name("tests/x.py::test_thing[a/b-C_1]")
    assert name.startswith("kv-test-thing-a-b-c-1-")
    assert len(name) <= 63
    assert namespace_name("::[]").startswith("kv-test-")


class _Nodes:
    """Our ``ApiClient`` boundary, answering Node listings from a dict, a page at a time (the
    ``continue`` token is the index of the next node; every node carries ``type=kwok``)."""

    def __init__(self, nodes: dict[str, dict[str, object]], page: int = 1) -> None:
        self.nodes = nodes
        self.page = page
        self.paths: list[str] = []

    def get(self, path: str) -> dict[str, object]:
        self.paths.append(path)
        query = parse_qs(urlsplit(path).query)
        assert query["labelSelector"] == ["type=kwok"], path
        start = int(query.get("continue", ["0"])[0])
        names = sorted(self.nodes)[start : start + self.page]
        items = [{**self.nodes[name], "metadata": {"name": name}} for name in names]
        more = start + self.page < len(self.nodes)
        return {"items": items, "metadata": {"continue": str(start + self.page) if more else ""}}


def _node(ready: str, *taints: str) -> dict[str, object]:
    return {
        "spec": {"taints": [{"key": key, "effect": "NoSchedule"} for key in taints]},
        "status": {"conditions": [{"type": "Ready", "status": ready}]},
    }


@pytest.mark.parametrize(
    ("node", "ready"),
    [
        (_node("True"), True),
        (_node("False"), False),
        (_node("True", "node.kubernetes.io/not-ready"), False),
        (_node("True", "node.kubernetes.io/unreachable"), False),
        (_node("True", "example.com/dedicated"), True),
    ],
)
def test_simulated_nodes_are_up_once_ready_and_untainted(
    node: dict[str, object], ready: bool
) -> None:
    client = _Nodes({"kwok-node-0": node, "kwok-node-1": _node("True")})
    assert kwok.nodes_ready(client, ["kwok-node-0", "kwok-node-1"]) is ready  # type: ignore[arg-type]
    assert not kwok.nodes_ready(client, ["kwok-node-2"])  # type: ignore[arg-type]


def test_which_nodes_are_up_comes_from_one_paged_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kwok, "LIST_PAGE", 2)
    nodes = {f"kwok-node-{i}": _node("True" if i % 2 else "False") for i in range(5)}
    client = _Nodes(nodes, page=2)
    up = kwok.nodes_up(client, ["kwok-node-0", "kwok-node-1", "kwok-node-3"])  # type: ignore[arg-type]
    assert up == {"kwok-node-1", "kwok-node-3"}
    assert len(client.paths) == 3 and all("limit=2" in p for p in client.paths)


def _answers(*sets: set[str]) -> Callable[[], set[str]]:
    """``up_now`` answering each set in turn, then the last one forever."""
    queue = list(sets)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


def test_the_node_wait_ends_once_every_node_is_up(kv_state: StateDir) -> None:
    names = ["kwok-node-0", "kwok-node-1"]
    up = cluster.wait_for_nodes(
        _answers(set(), {"kwok-node-0"}, set(names)), 2, kv_state, stall_s=5, limit_s=5
    )
    assert up == set(names)
    assert cluster.nodes_line(names, up) == (
        "[kubeadm-verify] 2 of 2 simulated node(s) Ready: kwok-node-0, kwok-node-1"
    )


def test_nodes_that_stop_coming_up_are_left_to_be_judged(
    kv_state: StateDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "NODES_POLL_S", 0.01)
    names = [f"kwok-node-{i}" for i in range(6)]
    started = time.monotonic()
    up = cluster.wait_for_nodes(
        _answers(set(), {"kwok-node-0"}), 6, kv_state, stall_s=0.2, limit_s=30
    )
    assert up == {"kwok-node-0"} and time.monotonic() - started < 5
    assert cluster.nodes_line(names, up) == (
        "[kubeadm-verify] 1 of 6 simulated node(s) Ready; not Ready or still tainted not-ready: "
        "kwok-node-1, kwok-node-2, kwok-node-3 and 2 more (left for the Standard Base to judge)"
    )
    never = cluster.wait_for_nodes(lambda: set(), 6, kv_state, stall_s=30, limit_s=0.2)
    assert never == set()


def test_a_dead_process_still_fails_the_node_wait(
    kv_state: StateDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        health, "failed_process", lambda state: "kwok exited with status 1; see kwok.log"
    )
    with pytest.raises(BootstrapError, match="kwok exited with status 1"):
        cluster.wait_for_nodes(lambda: set(), 2, kv_state, stall_s=30, limit_s=30)
