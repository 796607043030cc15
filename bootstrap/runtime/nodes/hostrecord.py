"""What real nodes change on the host itself, recorded before the first and undone after the last.

Most of a node lives in its own namespace, cgroup and directories and goes with them. A few
things are machine-wide: the kubelet sets kernel sysctls (``kernel.panic``,
``vm.overcommit_memory``...), and the kubelet, containerd and kube-proxy's hostPaths create a few
fixed paths (``/var/log/containers``, ``/run/containerd/s`` for shim sockets, ``/run/xtables.lock``,
``/lib/modules``...). Several clusters of ours may have nodes at once, so one record per machine
(under an ``fcntl`` lock) lists its users: the first records the original values and which paths
did not exist, the last restores them and removes those paths.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bootstrap.runtime.nodes.layout import MACHINE_ROOT, RUNTIME_ROOT
from bootstrap.upstream.versions import cache_root

KUBELET_SYSCTLS = (
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
)
"""``setupKernelTunables``: what the kubelet writes unless ``protectKernelDefaults``."""
HOST_PATHS = (
    "/run/netns",
    "/run/containerd",
    "/var/log/containers",
    "/var/log/pods",
    "/var/lib/cni",
    "/run/xtables.lock",
    "/lib/modules",
    "/var/lib/kubelet",
    "/etc/kubernetes",
    "/opt/containerd",
    "/run/nri",
    "/etc/cni",
    "/opt/cni",
    "/var/lib/containerd",
    "/etc/containerd",
    str(RUNTIME_ROOT),
    str(MACHINE_ROOT),
)
"""Fixed paths a node's programs may create outside the directories we give them, and the
parent of every cluster's runtime dir."""
SHARED_PATHS = ("/run/netns", str(RUNTIME_ROOT), str(MACHINE_ROOT))
"""Also used by others (``ip netns``; a cluster whose teardown failed): removed only when empty,
unmounted first."""
MNT_DETACH = 2


def record_path() -> Path:
    return cache_root() / "nodes-host.json"


def sysctl_path(key: str) -> Path:
    return Path("/proc/sys", *key.split("."))


def read_sysctls() -> dict[str, str]:
    values = {}
    for key in KUBELET_SYSCTLS:
        with contextlib.suppress(OSError):
            values[key] = sysctl_path(key).read_text().strip()
    return values


@contextlib.contextmanager
def _locked() -> Iterator[dict[str, Any]]:
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            data = {}
        yield data
        if data.get("users"):
            path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        else:
            path.unlink(missing_ok=True)


def acquire(user: str) -> None:
    """Register ``user``; the first one records the host as it is now."""
    with _locked() as data:
        if not data.get("users"):
            data["sysctls"] = read_sysctls()
            data["absent"] = [p for p in HOST_PATHS if not os.path.lexists(p)]
            data["users"] = []
        if user not in data["users"]:
            data["users"].append(user)


def release(user: str) -> list[str]:
    """Unregister ``user``; the last one restores the host. Returns what it could not undo."""
    with _locked() as data:
        users = [u for u in data.get("users", []) if u != user]
        data["users"] = users
        if users or "sysctls" not in data:
            return []
        return restore(dict(data["sysctls"]), list(data.get("absent", [])))


def restore(sysctls: dict[str, str], absent: list[str]) -> list[str]:
    problems = []
    for key, value in sysctls.items():
        try:
            if sysctl_path(key).read_text().strip() != value:
                sysctl_path(key).write_text(value)
        except OSError as error:
            problems.append(f"sysctl {key}: {error.strerror}")
    for path in absent:
        problem = _remove(Path(path))
        if problem:
            problems.append(problem)
    return problems


def _remove(path: Path) -> str | None:
    if not os.path.lexists(path):
        return None
    if str(path) in SHARED_PATHS:
        if path.is_dir() and any(path.iterdir()):
            return None  # someone else's namespaces live there now
        umount(path)
        with contextlib.suppress(OSError):
            path.rmdir()
        return None
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return f"could not remove {path}" if os.path.lexists(path) else None


def umount(path: Path) -> bool:
    """Detach one mount point (``umount2(MNT_DETACH)``); False when nothing was mounted."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return bool(libc.umount2(str(path).encode(), MNT_DETACH) == 0)
