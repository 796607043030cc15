"""Making one kubeadm node: recorded, then its network, cgroups, files, namespaces, containerd,
images and the kubelet's stand-in unit, ready for ``kubeadm init`` or ``kubeadm join``.

``make`` (in the main thread, one node at a time: the network calls switch this thread's network
namespace) records and creates what the host holds; ``boot`` (in a worker thread per node)
starts the node's processes and loads its images. Every process is recorded as it starts, so a
teardown at any moment finds it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bootstrap
from bootstrap.kubeadmrun import containerdcfg, kubeadmconfig, record
from bootstrap.kubeadmrun.machine import (
    Machine,
    enter_argv,
    socket_from_host,
    spawn_holder,
    wait_holder,
)
from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups, network, podnet, runtime
from bootstrap.runtime.nodes.addressing import PREFIX
from bootstrap.runtime.nodes.layout import node_dir
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.nodes.staging import Recorder
from bootstrap.runtime.state import ProcessRecord, StateDir
from bootstrap.upstream.images.cache import check_loaded, import_archives
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.access import WaitFailed
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred

Log = Callable[[str], None]
CONTAINERD_TIMEOUT_S = 30.0
IPAM_DIR = Path("/var/lib/cni/networks")
HOSTS = Path("/etc/hosts")


@dataclass(frozen=True)
class Booted:
    """A node whose containerd runs with every image loaded and whose kubelet unit waits."""

    entry: NodeEntry
    machine: Machine
    holder: ProcessRecord


def node_name(cid: str, index: int) -> str:
    """Unique on the machine, as the node's hostname is, and named like its namespaces."""
    return f"{PREFIX}-{cid}-n{index}"


def machine_of(nodes: NodesRecord, entry: NodeEntry) -> Machine:
    return Machine(node_dir(Path(nodes.runtime_dir), entry.index), entry.name)


def make(
    state: StateDir,
    nodes: NodesRecord,
    parts: NodeParts,
    index: int,
    service_subnet: str,
    kubeadm: Path,
    control_plane: bool,
) -> NodeEntry:
    """Record, then make, the node's namespace, cgroups, pod network and first files (with
    ``kubeadm`` and the release's kubelet among them)."""
    plan = nodes.plan
    name = node_name(plan.cid, index)
    entry = nodes.new_entry(index, name, control_plane)
    with deferred():
        nodes.nodes.append(entry)
        from bootstrap.runtime.nodes import record as nodes_record

        nodes_record.save(state, nodes)
        machine = machine_of(nodes, entry)
        machine.create()
        network.create_node_network(plan, index)
        cgroups.create(entry.cgroup_root)
    _write_files(machine, entry, parts)
    machine.place(kubeadm, kubeadmconfig.KUBEADM_IN_NODE)
    machine.place(parts.binary("kubelet"), kubeadmconfig.KUBELET_IN_NODE)
    netns = network.netns_path(entry.netns)
    podnet.add_masquerade(
        parts.host.nsenter, netns, parts.host.iptables, entry.pod_cidr, plan.pod_subnet
    )
    podnet.hold_service_traffic(parts.host.nsenter, netns, parts.host.iptables, service_subnet)
    return entry


def _write_files(machine: Machine, entry: NodeEntry, parts: NodeParts) -> None:
    hosts = HOSTS.read_text(encoding="utf-8") if HOSTS.exists() else ""
    machine.write("/etc/hosts", f"{hosts.rstrip()}\n{entry.address} {entry.name}\n")
    restrict = runtime.oom_score_restricted()
    machine.write(containerdcfg.CONFIG, containerdcfg.config_toml(parts.host.runc, restrict))
    machine.write(containerdcfg.HOSTS, containerdcfg.hosts_toml())
    conf_dir = machine.host_view("/etc/cni/net.d")
    conf_dir.mkdir(parents=True, exist_ok=True)
    podnet.write_conflist(conf_dir, entry.pod_cidr, IPAM_DIR)
    machine.write(
        f"{kubeadmconfig.PATCHES_DIR}/{kubeadmconfig.KUBELET_PATCH}",
        kubeadmconfig.kubelet_patch(entry.cgroup_root),
    )


def python_env(base: dict[str, str]) -> dict[str, str]:
    """``base`` with this package importable by a ``python -m`` inside the node."""
    here = str(Path(bootstrap.__file__).resolve().parent.parent)
    path = [here, *(p for p in base.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**base, "PYTHONPATH": os.pathsep.join(path)}


def boot(
    state: StateDir,
    nodes: NodesRecord,
    recorder: Recorder,
    entry: NodeEntry,
    parts: NodeParts,
    archives: list[Path],
    log: Log,
) -> Booted:
    """The holder, containerd, the ``archives`` kubeadm needs at once, the kubelet unit; in
    that order (``load_rest`` loads the others)."""
    started = time.monotonic()
    machine = machine_of(nodes, entry)
    netns = network.netns_path(entry.netns)
    holder_log = machine_log(state, entry.name, "holder")
    with deferred():
        holder = spawn_holder(
            machine,
            parts.host.nsenter,
            netns,
            parts.host.cni_bin_dir,
            holder_log,
            python_env(dict(os.environ)),
        )
        recorder.add(entry, holder)
    record.note_namespace(state, entry.name, wait_holder(machine, holder, holder_log))
    cgroups.enter(entry.cgroup_root, holder.pid)
    enter = enter_argv(parts.host.nsenter, holder)
    containerd = [*enter, str(parts.part("containerd")), "--config", containerdcfg.CONFIG]
    _start(state, recorder, entry, "containerd", containerd, runtime.runtime_env(parts))
    _wait_socket(socket_from_host(holder), entry)
    up = time.monotonic()
    import_archives(parts.part("ctr"), socket_from_host(holder), archives)
    # the kubelet's unit on the host's side, as systemd's would be (``kubeletunit``)
    unit = [sys.executable, "-m", "bootstrap.kubeadmrun.kubeletunit"]
    unit += [kubeadmconfig.KUBELET_IN_NODE, str(parts.host.nsenter), str(holder.pid)]
    unit.append(str(machine.root))
    _start(state, recorder, entry, "kubelet", unit, python_env(dict(os.environ)))
    log(
        f"[node] {entry.name}: namespaces and containerd in {up - started:.1f}s, "
        f"{len(archives)} images in {time.monotonic() - up:.1f}s"
    )
    return Booted(entry, machine, holder)


def load_rest(booted: Booted, parts: NodeParts, archives: list[Path]) -> None:
    """The node's other images, then every image a node must hold checked present."""
    address = socket_from_host(booted.holder)
    import_archives(parts.part("ctr"), address, archives)
    check_loaded(parts.part("ctr"), address, parts.version)


def path_dirs(parts: NodeParts) -> list[Path]:
    """The PATH of a command in the node: its own programs (``kubeadmconfig.NODE_BIN_DIR``:
    kubeadm and the kubelet, which kubeadm's preflight looks up), then the release's others."""
    return [Path(kubeadmconfig.NODE_BIN_DIR), parts.binaries]


def machine_log(state: StateDir, node: str, component: str) -> Path:
    return state.logs / f"{node}-{component}.log"


def _start(
    state: StateDir,
    recorder: Recorder,
    entry: NodeEntry,
    component: str,
    argv: list[str],
    env: dict[str, str],
) -> None:
    with deferred():
        proc = process.start(component, argv, machine_log(state, entry.name, component), env=env)
        recorder.add(entry, proc)
    cgroups.enter(entry.cgroup_root, proc.pid)


def _wait_socket(address: str, entry: NodeEntry) -> None:
    containerd = next(p for p in entry.processes if p.component == "containerd")
    try:
        process.wait_while_running(containerd, Path(address).exists, CONTAINERD_TIMEOUT_S, "socket")
    except WaitFailed as failed:
        raise BootstrapError(
            f"containerd of {entry.name} did not start: {failed}; see {containerd.log}"
        ) from None
