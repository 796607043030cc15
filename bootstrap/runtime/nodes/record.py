"""``<state>/nodes.json``: the cluster's real nodes, where their files are, and everything needed
to undo them.

Written (whole, under the state dir's lock) before each thing it names is created, so a run
killed at any point leaves a record that ``teardown`` can act on: a namespace or cgroup named in
it but never made is simply not found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bootstrap.runtime.nodes.addressing import Plan
from bootstrap.runtime.nodes.layout import NodeLayout, node_dir
from bootstrap.runtime.state import ProcessRecord, StateDir

NODES_RECORD = "nodes.json"


@dataclass
class NodeEntry:
    index: int
    name: str
    netns: str
    address: str
    pod_cidr: str
    cgroup_root: str
    processes: list[ProcessRecord] = field(default_factory=list)
    """Its containerd and kubelet, recorded as the control plane's are (``process.start``)."""
    control_plane: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["processes"] = [proc.as_dict() for proc in self.processes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeEntry:
        procs = [ProcessRecord.from_dict(p) for p in data.get("processes", [])]
        return cls(
            int(data["index"]),
            str(data["name"]),
            str(data["netns"]),
            str(data["address"]),
            str(data["pod_cidr"]),
            str(data["cgroup_root"]),
            procs,
            bool(data.get("control_plane", False)),
        )


@dataclass
class NodesRecord:
    plan: Plan
    nodes: list[NodeEntry] = field(default_factory=list)
    hub: bool = False
    runtime_dir: str = ""
    """The cluster's runtime dir (``layout``); empty in a record from before there was one."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "runtime_dir": self.runtime_dir,
            "cid": self.plan.cid,
            "slot": self.plan.slot,
            "pod_subnet": self.plan.pod_subnet,
            "hub": self.hub,
            "nodes": [node.as_dict() for node in self.nodes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodesRecord:
        plan = Plan(str(data["cid"]), int(data["slot"]), str(data["pod_subnet"]))
        nodes = [NodeEntry.from_dict(n) for n in data.get("nodes", [])]
        return cls(plan, nodes, bool(data.get("hub", False)), str(data.get("runtime_dir") or ""))

    def next_index(self) -> int:
        return max((node.index for node in self.nodes), default=0) + 1

    def new_entry(self, index: int, name: str, control_plane: bool) -> NodeEntry:
        """Node ``index``'s entry, its namespace, address, pod CIDR and cgroup from the plan."""
        plan = self.plan
        return NodeEntry(
            index,
            name,
            plan.node_netns(index),
            str(plan.node_link(index).far),
            plan.pod_cidr(index),
            plan.cgroup_root(index),
            control_plane=control_plane,
        )

    def layout(self, state: StateDir, node: NodeEntry) -> NodeLayout:
        """Where ``node``'s files are: the one answer every step and the teardown use."""
        if not self.runtime_dir:
            return NodeLayout.legacy(state.root, node.name)
        return NodeLayout(node_dir(Path(self.runtime_dir), node.index), node.name)


def load(state: StateDir) -> NodesRecord | None:
    data = state.read_json(NODES_RECORD)
    return NodesRecord.from_dict(data) if data else None


def save(state: StateDir, record: NodesRecord) -> None:
    with state.locked():
        state.write_json(NODES_RECORD, record.as_dict())


def forget(state: StateDir) -> None:
    (state.root / NODES_RECORD).unlink(missing_ok=True)
