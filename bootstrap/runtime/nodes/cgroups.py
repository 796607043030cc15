"""A node's cgroups: its ``cgroupRoot`` made in every hierarchy before the kubelet starts.

Two kubelets on one host must not share ``/kubepods``, so each gets its own ``cgroupRoot``. On
cgroup v1 the kubelet insists that it exists in every mounted hierarchy, and a new cpuset cgroup
has no CPUs or memory nodes until given its parent's. containerd runs in ``<root>/runtime``, so
its shims and every container of the node are inside the root: stopping a node is killing what
its cgroups hold, and nothing we did not start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from bootstrap.runtime import process
from kubeadm_verify.access import WaitTimedOut, wait_for

CGROUP_FS = Path("/sys/fs/cgroup")
RUNTIME = "runtime"


def is_v1() -> bool:
    return not (CGROUP_FS / "cgroup.controllers").exists()


def hierarchies() -> list[Path]:
    """The mounted hierarchies (``cpu`` and ``cpuacct`` may be one, linked twice)."""
    if not is_v1():
        return [CGROUP_FS]
    found: dict[Path, Path] = {}
    for entry in sorted(CGROUP_FS.iterdir()):
        if entry.is_dir() and (entry / "cgroup.procs").exists():
            found.setdefault(entry.resolve(), entry)
    return sorted(found.values())


def _inherit_cpuset(directory: Path) -> None:
    for name in ("cpuset.cpus", "cpuset.mems"):
        mine, parent = directory / name, directory.parent / name
        if mine.exists() and parent.exists() and not mine.read_text().strip():
            mine.write_text(parent.read_text().strip())


def create(root: str) -> None:
    """``root`` and ``root/runtime`` in every hierarchy."""
    for hierarchy in hierarchies():
        for directory in (hierarchy / root.strip("/"), hierarchy / root.strip("/") / RUNTIME):
            directory.mkdir(exist_ok=True)
            _inherit_cpuset(directory)


def enter(root: str, pid: int) -> None:
    """Move ``pid`` into ``root/runtime`` everywhere (its future children follow)."""
    for hierarchy in hierarchies():
        (hierarchy / root.strip("/") / RUNTIME / "cgroup.procs").write_text(str(pid))


def _dirs(root: str) -> list[Path]:
    """Every cgroup under ``root``, deepest first."""
    found = []
    for hierarchy in hierarchies():
        top = hierarchy / root.strip("/")
        if top.is_dir():
            found += [Path(d) for d, _, _ in os.walk(top)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def pids(root: str) -> set[int]:
    found: set[int] = set()
    for directory in _dirs(root):
        try:
            found |= {int(line) for line in (directory / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            continue
    return found


def holds(root: str, pid: int) -> bool:
    """``pid`` is in ``root`` or below it, in some hierarchy (``/proc/<pid>/cgroup``)."""
    top = "/" + root.strip("/")
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    paths = (line.split(":", 2)[-1] for line in lines)
    return any(path == top or path.startswith(top + "/") for path in paths)


FROZEN_V1 = ("FROZEN", "FREEZING")


def thaw(root: str) -> list[str]:
    """Thaw every frozen cgroup under ``root``; return those that were frozen.

    A frozen task takes a SIGKILL only once thawed (cgroup v1 shows it in state ``D``). On v1,
    runc kills a container's processes by freezing its cgroup, signalling each and thawing: a
    runc killed in between leaves the container frozen for good, and its processes unkillable.
    """
    thawed = []
    for directory in _dirs(root):
        v1_state, v2_freeze = directory / "freezer.state", directory / "cgroup.freeze"
        with contextlib.suppress(OSError):
            if v1_state.exists() and v1_state.read_text().strip() in FROZEN_V1:
                v1_state.write_text("THAWED")
                thawed.append(str(directory))
            elif v2_freeze.exists() and v2_freeze.read_text().strip() == "1":
                v2_freeze.write_text("0")
                thawed.append(str(directory))
    return thawed


def kill_all(
    root: str, timeout: float = 15.0, spare: Callable[[int], bool] | None = None
) -> set[int]:
    """SIGKILL whatever ``root`` holds (but ``spare``'s) until nothing else is left; return
    what would not die.

    These are not processes we started (containers, started by a node's shims), so they are
    found by what holds them, the node's cgroups, not by a record; what we started ourselves
    is stopped by ``bootstrap.runtime.process`` before and after. Each is killed through the
    supervisor's ``kill_if``: only if, once a pidfd holds it, it is still in ``root``. A round
    that found some then thaws what is frozen (:func:`thaw`), so the next round's kill lands: a
    runc killed among them may have left a container frozen."""

    def others() -> set[int]:
        return {pid for pid in pids(root) if not (spare and spare(pid))}

    def emptied() -> bool:
        left = others()
        for pid in left:
            process.kill_if(pid, lambda found: holds(root, found))
        if left:
            thaw(root)
        return not left

    with contextlib.suppress(WaitTimedOut):
        wait_for(emptied, timeout, interval=0.1, what=f"empty {root}")
    return others()


def remove(root: str) -> list[str]:
    """rmdir every cgroup under ``root``; return those that would not go."""
    left = []
    for directory in _dirs(root):
        try:
            directory.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            left.append(str(directory))
    return left
