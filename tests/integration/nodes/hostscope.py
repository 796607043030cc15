"""The host snapshot with an owner for what it holds, for tests that run while other clusters
come and go on the same machine.

A difference between two snapshots is held against the run under test unless it is positively
another cluster's: a namespace, link, cgroup or mount named with another cluster id, a node
program whose cgroup, runtime dir or state dir names another cluster, a ``cni-`` namespace a
process of another cluster lives in, a shim of a containerd that is no node's of ours (its
``-address`` outside every runtime dir), and a process or cgroup below a hierarchy's top-level
cgroup that is not ours and was there before the run (another kubelet's ``cgroupRoot``: our
nodes' are ``kvn-<cid>-n<i>``, made by the run). Whatever has no owner counts against the run,
so a leak cannot hide behind its neighbours. Things that vanished are judged by their owner when
they were seen.

Machine-wide sysctls and paths are shared by every cluster with nodes through one record
(``hostrecord``), and so are the mounts of the shared paths themselves (``/run/netns``, made a
mount point by the first namespace and unmounted with the last): compared strictly when no
cluster held that record at either end; otherwise the run must at least have left it.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bootstrap.runtime.nodes.addressing import cluster_id
from bootstrap.runtime.nodes.cgroups import hierarchies
from bootstrap.runtime.nodes.hostrecord import SHARED_PATHS, record_path
from bootstrap.runtime.nodes.layout import RUNTIME_ROOT
from tests.integration.nodes import snapshot

SET_FIELDS = ("processes", "mounts", "netns", "links", "cgroups")
SHARED_FIELDS = ("sysctls", "paths")
_NAMED = re.compile(r"kvn-?([0-9a-f]{6})(?:-(?:hub|n\d+)|up)\b")
SETTLE = 0.5
PASSING = "passing"
SESSIONS = "other sessions"
FOREIGN = "another containerd"
TOP = "top:"
"""An owner still to be judged: the top-level cgroup named after it, another's only if it
existed before the run (see ``unexplained``)."""
_STATE = re.compile(r"(/[^\s=:]+?)/nodes/[^/\s]+/")
_RUNTIME = re.compile(re.escape(str(RUNTIME_ROOT)) + r"/([0-9a-f]{6})(?![0-9a-f])")


@dataclass(frozen=True)
class Seen:
    snap: snapshot.HostSnapshot
    owners: dict[tuple[str, str], str]
    users: tuple[str, ...]


def take() -> Seen:
    snap = snapshot.take()
    owners: dict[tuple[str, str], str] = {}
    by_netns: dict[int, str] = {}
    for pid, name in snap.processes:
        owner = _process_owner(pid) or _settled_owner(pid) or _top_owner(_cgroup_of(pid))
        if owner:
            owners[("processes", repr((pid, name)))] = owner
            inode = _netns_inode(f"/proc/{pid}/ns/net")
            if inode:
                by_netns[inode] = owner
    for item in snap.cgroups:
        if _other_sessions(item):
            owners[("cgroups", repr(item))] = SESSIONS
        elif not _named_owner(item):
            top = _top_owner("/".join(Path(item).parts[5:]))
            if top:
                owners[("cgroups", repr(item))] = top
    for kind in ("mounts", "netns", "links", "cgroups"):
        for item in getattr(snap, kind):
            owner = _named_owner(item) or _state_owner(f"{item}/") or _cni_owner(item, by_netns)
            if owner:
                owners[(kind, repr(item))] = owner
    return Seen(snap, owners, _record_users())


def unexplained(before: Seen, after: Seen, ours: str) -> dict[str, object]:
    """What changed between ``before`` and ``after`` that is not another cluster's doing."""
    found: dict[str, object] = {}
    tops = {TOP + Path(c).name for c in before.snap.cgroups if Path(c).parent in _hierarchies()}
    tops = {top for top in tops if not top.startswith(TOP + "kvn")}

    def owner(seen: Seen, kind: str, item: object) -> str:
        found = seen.owners.get((kind, repr(item)), ours)
        return ours if found.startswith(TOP) and found not in tops else found

    shared = before.users or after.users
    for name, change in before.snap.differences(after.snap).items():
        if name in SET_FIELDS:
            assert isinstance(change, dict)
            new = [i for i in change["new"] if owner(after, name, i) == ours]
            gone = [i for i in change["gone"] if owner(before, name, i) == ours]
            if name == "mounts" and shared:
                # /run/netns is mounted by whichever cluster makes the first namespace and
                # unmounted by whichever tears down the last: another cluster's, while one
                # holds the record, as the shared paths are
                new = [i for i in new if i not in SHARED_PATHS]
                gone = [i for i in gone if i not in SHARED_PATHS]
            if new or gone:
                found[name] = {"new": new, "gone": gone}
        elif name not in SHARED_FIELDS or not shared:
            found[name] = change
    if ours in after.users:
        found["host record"] = f"still lists {ours}: {after.users}"
    return found


def left_behind(before: Seen, ours: str, within_s: float = 10.0) -> dict[str, object]:
    """``unexplained`` from ``before`` to now, asked again until it is empty or ``within_s``
    has passed: a neighbour's process caught between its start and its cgroup, or a link of its
    own being made, has an owner a moment later; a leak of ours never will."""
    deadline = time.monotonic() + within_s
    while True:
        left = unexplained(before, take(), ours)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(SETTLE)


def naming(root: Path) -> list[str]:
    """Every live process whose command line names ``root``: a state dir (etcd, the API
    server) or a runtime dir (a kubelet, containerd, a shim)."""
    needle = str(root)
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        line = " ".join(proc.info["cmdline"] or [])
        if needle in line:
            found.append(f"{proc.info['pid']}: {line[:200]}")
    return found


def _process_owner(pid: int) -> str | None:
    """The cluster id in the process's cgroup, or of the state dir its command line names."""
    try:
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    return _named_owner(cgroup) or _state_owner(cmdline) or _foreign_shim(cmdline)


def _cgroup_of(pid: int) -> str:
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    paths = [line.split(":", 2)[2] for line in lines if line.count(":") >= 2]
    return max(paths, key=len, default="/")


def _top_owner(cgroup: str) -> str | None:
    """``top:<name>`` for a cgroup below a top-level one (``/ksp0/kubepods/...``); judged in
    ``unexplained``. A process in the root cgroup has none."""
    parts = [part for part in cgroup.split("/") if part]
    return TOP + parts[0] if parts else None


def _hierarchies() -> set[Path]:
    return set(hierarchies())


def _other_sessions(cgroup: str) -> bool:
    """A cgroup beside the one this test runs in, when that one is not a hierarchy's root: the
    machine puts each command it runs in such a cgroup, and they come and go all the time. A
    node's cgroups are at a hierarchy's root, never there."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return False
    parents = {
        str(Path(line.split(":", 2)[2]).parent)
        for line in lines
        if line.count(":") >= 2 and line.split(":", 2)[2].count("/") >= 2
    }
    relative = "/" + "/".join(Path(cgroup).parts[5:])
    return any(relative == parent or relative.startswith(parent + "/") for parent in parents)


def _settled_owner(pid: int) -> str | None:
    """A process seen between its start and its move into a cgroup, asked again a moment later;
    one that has exited by then was passing through and is nobody's leak."""
    time.sleep(SETTLE)
    if not psutil.pid_exists(pid):
        return PASSING
    return _process_owner(pid)


def _foreign_shim(cmdline: str) -> str | None:
    """A shim whose ``-address`` is a containerd socket outside every runtime dir and state
    dir: the host's containerd, or one in another mount namespace, never a node of ours."""
    words = cmdline.split()
    if not words or not words[0].endswith("containerd-shim-runc-v2") or "-address" not in words:
        return None
    at = words.index("-address") + 1
    address = words[at] if at < len(words) else ""
    if not address or _RUNTIME.search(address) or _STATE.search(address):
        return None
    return FOREIGN


def _named_owner(text: str) -> str | None:
    match = _NAMED.search(text)
    return match.group(1) if match else None


def _state_owner(text: str) -> str | None:
    """The cluster id of the runtime dir ``text`` names, or of the state dir whose
    ``nodes/<name>/`` it names (where a record from before runtime dirs put its nodes)."""
    runtime = _RUNTIME.search(text)
    if runtime:
        return runtime.group(1)
    match = _STATE.search(text)
    return cluster_id(Path(match.group(1))) if match else None


def _cni_owner(item: str, by_netns: dict[int, str]) -> str | None:
    if not Path(item).name.startswith("cni-"):
        return None
    path = item if item.startswith("/") else f"/run/netns/{item}"
    inode = _netns_inode(path)
    return by_netns.get(inode) if inode else None


def _netns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _record_users() -> tuple[str, ...]:
    try:
        data = json.loads(record_path().read_text())
    except (OSError, ValueError):
        return ()
    return tuple(str(user) for user in data.get("users") or ())
