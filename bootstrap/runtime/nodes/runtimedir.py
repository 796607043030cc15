"""Making and removing a cluster's runtime dir (see ``layout`` for where and why).

Made after ``nodes.json`` names it and after ``hostrecord`` counts the cluster as a user (so the
last user's release may remove an empty ``/var/lib/kubeadm-verify``); removed before that
release. A dir that exists already is another cluster's (or one a crash left): refused, never
shared. Removal takes only the dir named with the cluster id its record holds, and then the
parent if it is empty (the host record removes it only if it was absent when its first user came,
and a user from before runtime dirs did not note it).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from bootstrap.runtime.nodes import layout
from bootstrap.runtime.nodes.layout import OWNER_FILE, runtime_dir
from bootstrap.runtime.nodes.mounts import unmount_under
from kubeadm_verify.errors import BootstrapError


def free(cid: str, state_root: Path, root: Path | None = None) -> Path:
    """The runtime dir for cluster id ``cid`` under ``root`` (``layout.RUNTIME_ROOT`` unless
    given), refused if it exists already."""
    path = runtime_dir(cid, root or layout.RUNTIME_ROOT)
    if path.exists() or path.is_symlink():
        raise BootstrapError(
            f"{path} exists: the nodes of another cluster with id {cid} (see {path / OWNER_FILE}), "
            f"or ones a crash left; `kubeadm-verify down` that cluster, then bring up {state_root}"
        )
    return path


def make(path: Path, state_root: Path) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    path.mkdir(mode=0o700)
    (path / OWNER_FILE).write_text(f"{state_root}\n", encoding="utf-8")


def remove(recorded: str, cid: str) -> list[str]:
    """Unmount what is left below the runtime dir and delete it; what could not be done."""
    if not recorded:
        return []
    path = Path(recorded)
    if path.name != cid or not path.is_absolute():
        return [f"{path}: not the runtime dir of cluster {cid}; left alone"]
    problems = unmount_under(path)
    if problems:
        return problems
    shutil.rmtree(path, ignore_errors=True)
    return [f"could not remove {path}"] if path.exists() or path.is_symlink() else []


def prune_root() -> None:
    """``/var/lib/kubeadm-verify`` (and ``/srv/kubeadm-verify``) removed when no cluster's
    runtime dir is left in it; the caller holds the lock every ``make`` holds, so none is being
    made meanwhile."""
    for root in (layout.RUNTIME_ROOT, layout.MACHINE_ROOT):
        with contextlib.suppress(OSError):
            root.rmdir()
