"""``<state>/kubeadm.json``: what a kubeadm-driven cluster adds to its nodes' record.

The nodes themselves (namespaces, cgroups, processes, runtime dir) are in ``nodes.json``
(``bootstrap.runtime.nodes.record``), so the existing node teardown undoes them. Here: which
kubeadm drove the cluster (``reset`` uses the same), the API endpoint, and each node's mount
namespace, by which every process still in it is found, however it was started (a container's
shim, a process kubeadm left). Written before what it names is used, under the state dir's lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bootstrap.runtime.state import StateDir

RECORD = "kubeadm.json"


def load(state: StateDir) -> dict[str, Any]:
    return state.read_json(RECORD)


def begin(state: StateDir, kubeadm: Path, version: str) -> None:
    with state.locked():
        state.write_json(RECORD, {"kubeadm": str(kubeadm), "version": version, "namespaces": {}})


def update(state: StateDir, **values: Any) -> None:
    with state.locked():
        data = state.read_json(RECORD)
        data.update(values)
        state.write_json(RECORD, data)


def note_namespace(state: StateDir, node: str, namespace: str) -> None:
    with state.locked():
        data = state.read_json(RECORD)
        data.setdefault("namespaces", {})[node] = namespace
        state.write_json(RECORD, data)


def namespaces(state: StateDir) -> dict[str, str]:
    found = load(state).get("namespaces") or {}
    return {str(node): str(ns) for node, ns in found.items()}


def forget(state: StateDir) -> None:
    (state.root / RECORD).unlink(missing_ok=True)
