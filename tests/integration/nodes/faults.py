"""Breaking one real node of a cluster of ours on purpose, and mending it again (test side).

A node's files are its own (``<runtime dir>/n<index>/``, see ``layout``), so a fault is an edit of
one of them, and where the program reads that file only at start, a restart of that one process:
stopped by its recorded pid, started again with exactly the argv and environment it ran with, in
the node's network namespace (and, for containerd, back in the node's cgroup, so teardown still
finds its shims and containers). The new pid replaces the old one in ``nodes.json`` at once, so
a teardown at any later point stops what is really running and nothing is left behind.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml
from kubernetes import client as k8s
from pyroute2 import IPRoute

from bootstrap.runtime import process
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.nodes import cgroups, lifecycle, network, record
from bootstrap.runtime.nodes.layout import NodeLayout
from bootstrap.runtime.nodes.lifecycle import ClusterRef, state_of
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.runtime.state import ProcessRecord, StateDir

START_TIMEOUT = 30.0
NSENTER = "nsenter"


def entry_of(target: ClusterRef, node: str) -> NodeEntry:
    found = record.load(state_of(target))
    entries = {n.name: n for n in (found.nodes if found else [])}
    if node not in entries:
        raise LookupError(f"no real node {node!r} in {state_of(target).root}")
    return entries[node]


def layout_of(target: ClusterRef, node: str) -> NodeLayout:
    return lifecycle.layout_of(target, node)


def workers(target: ClusterRef) -> list[str]:
    found = record.load(state_of(target))
    return [n.name for n in (found.nodes if found else []) if not n.control_plane]


# Files -----------------------------------------------------------------------------------------


@contextmanager
def without_cni_conf(target: ClusterRef, node: str) -> Iterator[list[Path]]:
    """The node's CNI conf dir emptied (as on a node no network add-on was installed on), and
    its files written back in place after: containerd watches the dir and reloads on a write."""
    conf_dir = layout_of(target, node).cni_conf_dir
    saved = {path: path.read_bytes() for path in sorted(conf_dir.iterdir()) if path.is_file()}
    for path in saved:
        path.unlink()
    try:
        yield list(saved)
    finally:
        for path, content in saved.items():
            path.write_bytes(content)


def touch_cni_conf(target: ClusterRef, node: str) -> None:
    """Rewrite the conf files as they are: one more write event for containerd's watcher."""
    for path in sorted(layout_of(target, node).cni_conf_dir.iterdir()):
        if path.is_file():
            path.write_bytes(path.read_bytes())


@contextmanager
def edited(path: Path, change: Callable[[str], str]) -> Iterator[str]:
    """``path`` rewritten by ``change`` (its mode kept), and its old bytes put back after."""
    old = path.read_bytes()
    new = change(old.decode())
    if new == old.decode():
        raise AssertionError(f"the edit of {path} changed nothing")
    path.write_text(new)
    try:
        yield new
    finally:
        path.write_bytes(old)


def yaml_change(apply: Callable[[dict[str, Any]], None]) -> Callable[[str], str]:
    def change(text: str) -> str:
        document = yaml.safe_load(text)
        apply(document)
        return str(yaml.safe_dump(document, sort_keys=True))

    return change


def anonymous_kubelet(config: dict[str, Any]) -> None:
    """What a hand-written KubeletConfiguration that forgot kubeadm's defaults gives: anyone may
    call the kubelet's API, and is allowed everything."""
    config.setdefault("authentication", {}).setdefault("anonymous", {})["enabled"] = True
    config.setdefault("authorization", {})["mode"] = "AlwaysAllow"
    config["authorization"].pop("webhook", None)


def systemd_kubelet(config: dict[str, Any]) -> None:
    """The kubelet's own cgroup driver set to systemd (kubeadm's default for the kubelet)."""
    config["cgroupDriver"] = "systemd"


def cluster_dns(address: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["clusterDNS"] = [address]

    return change


def systemd_cgroup(text: str) -> str:
    """containerd's runc runtime switched to the systemd cgroup driver."""
    return text.replace("SystemdCgroup = false", "SystemdCgroup = true")


# Routes ----------------------------------------------------------------------------------------


@contextmanager
def without_pod_route(target: ClusterRef, node: str) -> Iterator[str]:
    """The hub's route to the node's pod CIDR deleted (as a node whose pod network route was
    never programmed), added back after: pods elsewhere cannot reach the node's pods."""
    found = record.load(state_of(target))
    assert found is not None, "no nodes record"
    entry = entry_of(target, node)
    link = found.plan.node_link(entry.index)
    with IPRoute(netns=found.plan.hub_netns) as hub:
        hub.route("del", dst=entry.pod_cidr, gateway=str(link.far))
    try:
        yield entry.pod_cidr
    finally:
        with IPRoute(netns=found.plan.hub_netns) as hub:
            hub.route("add", dst=entry.pod_cidr, gateway=str(link.far))


# The Node as the API shows it ------------------------------------------------------------------


def ready_state(handle: ClusterHandle, node: str) -> tuple[str, str, list[str]]:
    """The node's Ready status and message, and its taints' keys."""
    api = handle.api_client()
    try:
        found = k8s.CoreV1Api(api).read_node(node)
    finally:
        api.close()
    ready = next((c for c in found.status.conditions or [] if c.type == "Ready"), None)
    taints = [t.key for t in found.spec.taints or []]
    return (ready.status, ready.message or "", taints) if ready else ("", "", taints)


def wait_node(
    handle: ClusterHandle,
    node: str,
    ready: bool,
    timeout: float,
    nudge: Callable[[], None] | None = None,
    status_is: str | None = None,
) -> str:
    """Wait until ``node`` is Ready (and untainted) or not (with its Ready status ``status_is``
    when given: ``Unknown`` once the node controller has heard nothing for its grace period,
    where a kubelet's own ``False`` may come first); its Ready message. ``nudge`` is called
    once half-way, for a fault whose undoing the node may have missed."""
    deadline, half = time.monotonic() + timeout, time.monotonic() + timeout / 2
    while True:
        status, message, taints = ready_state(handle, node)
        if (
            ready
            and status == "True"
            and not any("not-ready" in t or "unreachable" in t for t in taints)
        ):
            return message
        if not ready and status not in ("True", "") and status_is in (None, status):
            return message
        assert time.monotonic() < deadline, (
            f"{node} still Ready={status} ({message}; taints {taints}) after {timeout:.0f}s"
        )
        if nudge is not None and time.monotonic() > half:
            nudge()
            nudge = None
        time.sleep(1)


def configz(handle: ClusterHandle, node: str, timeout: float = 30.0) -> dict[str, Any]:
    """The running kubelet's configuration, read through the API server's node proxy once the
    restarted kubelet listens."""
    api, deadline = handle.api_client(), time.monotonic() + timeout
    try:
        while True:
            try:
                raw = k8s.CoreV1Api(api).connect_get_node_proxy_with_path(
                    node, "configz", _preload_content=False
                )
                return dict(json.loads(raw.data)["kubeletconfig"])
            except k8s.ApiException as error:
                if error.status != 503 or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        api.close()


# Processes -------------------------------------------------------------------------------------


def recorded(target: ClusterRef, node: str, component: str) -> ProcessRecord:
    found = [p for p in entry_of(target, node).processes if p.component == component]
    if not found:
        raise LookupError(f"{node} records no {component}")
    return found[-1]


def _replace_record(
    state: StateDir, node: str, old: ProcessRecord, new: ProcessRecord | None
) -> None:
    with state.locked():
        found = record.load(state)
        assert found is not None, f"{state.root}: the nodes record went away"
        for entry in found.nodes:
            if entry.name == node:
                entry.processes = [p for p in entry.processes if p != old]
                entry.processes += [new] if new is not None else []
        state.write_json(record.NODES_RECORD, found.as_dict())


@dataclass(frozen=True)
class Command:
    """How a node's process was started: enough to start it again after it has gone."""

    node: str
    component: str
    argv: tuple[str, ...]
    env: dict[str, str]
    log: Path


def command_of(target: ClusterRef, node: str, component: str) -> Command:
    """The running process's argv (after ``nsenter``'s exec) and environment."""
    proc = recorded(target, node, component)
    if not process.is_running(proc):
        raise AssertionError(f"{node}/{component} (pid {proc.pid}) is not running")
    running = psutil.Process(proc.pid)  # read only: what it runs now, and with what environment
    return Command(
        node, component, tuple(running.cmdline()), dict(running.environ()), Path(proc.log)
    )


def stop(target: ClusterRef, node: str, component: str) -> None:
    """Stop the node's ``component`` by its recorded pid (it stays in the record, gone)."""
    proc = recorded(target, node, component)
    process.stop([proc])
    assert not process.is_running(proc), f"{node}/{component} would not stop"


def start(target: ClusterRef, command: Command) -> ProcessRecord:
    """``command`` started again in the node's network namespace, recorded in place of the old
    process; containerd also back in the node's cgroup, and waited for until it listens."""
    state, entry = state_of(target), entry_of(target, command.node)
    old = recorded(target, command.node, command.component)
    assert not process.is_running(old), f"{command.node}/{command.component} is still running"
    nsenter = shutil.which(NSENTER, path="/usr/bin:/bin:/usr/sbin:/sbin")
    assert nsenter, "nsenter not found"
    layout = layout_of(target, command.node)
    if command.component == "containerd":
        layout.socket.unlink(missing_ok=True)
    argv = [nsenter, f"--net={network.netns_path(entry.netns)}", "--", *command.argv]
    new = process.start(command.component, argv, command.log, env=command.env)
    _replace_record(state, command.node, old, new)
    if command.component == "containerd":
        cgroups.enter(entry.cgroup_root, new.pid)
        _wait_for(layout.socket.exists, command.node, new, f"{command.node}'s containerd socket")
    return new


def restart(target: ClusterRef, node: str, component: str) -> ProcessRecord:
    """Stop the node's ``component`` and start it again exactly as it ran: it reads its
    configuration files afresh."""
    command = command_of(target, node, component)
    stop(target, node, component)
    return start(target, command)


def _wait_for(done: Callable[[], bool], node: str, proc: ProcessRecord, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not done():
        if not process.is_running(proc):
            raise AssertionError(f"{node}/{proc.component} exited; see {proc.log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def exited_within(proc: ProcessRecord, seconds: float) -> bool:
    """Whether the restarted process died on its own within ``seconds`` (a kubelet that
    refuses its configuration exits at start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.is_running(proc):
            return True
        time.sleep(0.2)
    return False


def log_tail(proc: ProcessRecord, lines: int = 20) -> str:
    try:
        return "\n".join(Path(proc.log).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
