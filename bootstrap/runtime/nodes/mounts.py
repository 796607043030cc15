"""Mounts a node leaves under its directory (pod volumes, container root filesystems, the pods'
network namespaces), found through psutil and detached deepest first."""

from __future__ import annotations

from pathlib import Path

import psutil

from bootstrap.runtime.nodes.hostrecord import umount


def mounts_under(root: Path) -> list[str]:
    prefix = str(root).rstrip("/") + "/"
    found = {
        part.mountpoint
        for part in psutil.disk_partitions(all=True)
        if part.mountpoint.startswith(prefix) or part.mountpoint == str(root)
    }
    return sorted(found, key=lambda p: p.count("/"), reverse=True)


def unmount_under(root: Path, rounds: int = 5) -> list[str]:
    """Detach every mount below ``root`` (stacked mounts take more than one round)."""
    for _ in range(rounds):
        found = mounts_under(root)
        if not found:
            return []
        for mountpoint in found:
            umount(Path(mountpoint))
    return [f"mount {m} would not go" for m in mounts_under(root)]
