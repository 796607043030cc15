"""Small pure pieces: Go durations, kwok's stages and flags, the fixtures' names and ports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bootstrap.fixtures import free_port_config, namespace_name
from bootstrap.runtime import kwok
from bootstrap.runtime.health import go_duration
from bootstrap.runtime.state import StateDir


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (1.002242613, "1.002242613s"), (0.5023, "502.3ms"), (240, "4m0s"),
    (65.25, "1m5.25s"), (0.000012, "12µs"), (3600, "1h0m0s"),
])
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_kwok_stages_are_five_stage_documents() -> None:
    documents = list(yaml.safe_load_all(kwok.STAGES))
    assert [d["metadata"]["name"] for d in documents] == [
        "node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete"]
    assert all(d["kind"] == "Stage" and d["apiVersion"] == "kwok.x-k8s.io/v1alpha1"
               for d in documents)


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


def test_fixture_config_frees_kubeadms_ports(tmp_path: Path) -> None:
    config = free_port_config(None)
    assert config.endpoint.bind_port == 0
    assert set(vars(config.ports).values()) == {0}
    fixed = tmp_path / "c.yaml"
    fixed.write_text("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
                     "localAPIEndpoint: {bindPort: 7443}\n")
    assert free_port_config(str(fixed)).endpoint.bind_port == 7443


class _Nodes:
    """Our ``ApiClient`` boundary, answering Node reads from a dict."""

    def __init__(self, nodes: dict[str, dict[str, object]]) -> None:
        self.nodes = nodes

    def get_or_none(self, path: str) -> dict[str, object] | None:
        return self.nodes.get(path.rsplit("/", 1)[1])


def _node(ready: str, *taints: str) -> dict[str, object]:
    return {"spec": {"taints": [{"key": key, "effect": "NoSchedule"} for key in taints]},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


@pytest.mark.parametrize(("node", "ready"), [
    (_node("True"), True),
    (_node("False"), False),
    (_node("True", "node.kubernetes.io/not-ready"), False),
    (_node("True", "node.kubernetes.io/unreachable"), False),
    (_node("True", "example.com/dedicated"), True),
])
def test_simulated_nodes_are_up_once_ready_and_untainted(node: dict[str, object],
                                                         ready: bool) -> None:
    client = _Nodes({"kwok-node-0": node, "kwok-node-1": _node("True")})
    assert kwok.nodes_ready(client, ["kwok-node-0", "kwok-node-1"]) is ready  # type: ignore[arg-type]
    assert not kwok.nodes_ready(client, ["kwok-node-2"])  # type: ignore[arg-type]
