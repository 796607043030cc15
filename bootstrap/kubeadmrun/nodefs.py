"""The holder of a kubeadm node's mount and UTS namespaces: it gives the node its own filesystem
view, names the node, then sleeps for as long as the node lives.

Run (standard library only, so it starts fast) as ``python -m bootstrap.kubeadmrun.nodefs ROOT
HOSTNAME`` by ``nsenter --net=<node netns> -- unshare --mount --uts --propagation private``. In
that fresh mount namespace it first detaches its copies of the mounts it will cover or does not
need (other clusters' pod network namespaces, container root filesystems, pod volumes): a copy
would pin them, so another cluster's teardown could not free them. Then:

- ``/etc``, ``/usr``, ``/var`` and ``/opt`` become overlays: the host's files below, the node's
  own writes above (in ``ROOT/<dir>/upper``), so kubeadm, the kubelet and the static pods' hostPaths
  (``DirectoryOrCreate`` ones included) write nothing the host sees;
- ``/run`` and ``/tmp`` are fresh tmpfs: containerd's state, its shim sockets, the pods' network
  namespaces and ``xtables.lock`` are the node's own;
- ``/var/lib/containerd`` is a bind of the plain ``ROOT/containerd`` (the overlayfs snapshotter
  cannot make overlays on an overlay's upper dir), and ``/opt/cni/bin`` a read-only bind of the
  host's CNI plugins;
- this tool's own code and interpreter, when they live under ``/run`` or ``/tmp`` (a clone or a
  venv in ``/tmp``), stay where they were, read-only: ``kubeadm-verify node`` runs inside the node.
  They are bound aside before anything is detached or covered, then back in place.

It writes ``ROOT/holder.ready`` once done and then becomes ``sleep infinity``; a failure exits
non-zero with one line on stderr (the holder's log). The mount namespace, and every mount in it,
goes when its last process does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

OVERLAID = ("/etc", "/usr", "/var", "/opt")
TMPFS = (("/run", "mode=755"), ("/tmp", "mode=1777"))  # noqa: S108 (the node's own /tmp)
CONTAINERD_ROOT = "/var/lib/containerd"
CNI_BIN = "/opt/cni/bin"
READY = "holder.ready"
DETACHED_UNDER = ("/run", "/var", "/etc", "/opt", "/usr", "/tmp", "/srv", "/root", "/home")  # noqa: S108
"""Mounts below these are the host's, other clusters' or the machine's transient ones: a node
needs none of them (its own view of each is mounted afresh)."""
DETACHED_TYPES = ("nsfs", "overlay")
"""A pod's network namespace or a container's root filesystem, wherever it is mounted."""
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096
MNT_DETACH = 2


@dataclass(frozen=True)
class Mount:
    """One ``mount(2)`` call; a read-only bind is a bind then a read-only remount."""

    source: str
    target: str
    fstype: str = ""
    flags: int = 0
    data: str = ""
    make_target: bool = False


def unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as ``\\ooo``."""
    for code in ("040", "011", "012", "134"):
        field = field.replace("\\" + code, chr(int(code, 8)))
    return field


def mountinfo(text: str) -> list[tuple[str, str]]:
    """``(mount point, filesystem type)`` of each line of ``/proc/<pid>/mountinfo``."""
    found = []
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) >= 5 and right:
            found.append((unescape(fields[4]), right.split()[0]))
    return found


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top + "/")


def to_detach(mounts: list[tuple[str, str]]) -> list[str]:
    """The mount points to detach, deepest first."""
    chosen = {
        point
        for point, fstype in mounts
        if fstype in DETACHED_TYPES or any(_under(point, top) for top in DETACHED_UNDER)
    }
    chosen.discard("/")
    return sorted(chosen, key=lambda p: (p.count("/"), p), reverse=True)


KEPT = "kept"
"""``ROOT/kept/<n>``: where the tool's own directories wait while ``/run`` and ``/tmp`` are made."""


def tool_paths() -> list[str]:
    """This tool's code and its interpreter's directories (the holder runs the same code, the
    same interpreter, as every ``python -m`` the bring-up runs inside the node)."""
    code = Path(__file__).resolve().parents[2]
    found = [str(code), sys.prefix, sys.base_prefix, sys.exec_prefix]
    return [str(Path(path).resolve()) for path in found]


def kept_in_place(paths: list[str]) -> list[str]:
    """Those of ``paths`` the fresh tmpfs would hide, outermost only, in a stable order."""
    hidden = sorted({p for p in paths if any(_under(p, top) and p != top for top, _ in TMPFS)})
    return [p for p in hidden if not any(_under(p, q) and p != q for q in hidden)]


def set_aside(root: Path, kept: list[str]) -> list[Mount]:
    """Binds of ``kept`` to ``ROOT/kept/<n>``, made before anything is detached."""
    return [
        Mount(path, str(root / KEPT / str(n)), flags=MS_BIND, make_target=True)
        for n, path in enumerate(kept)
    ]


def put_back(root: Path, kept: list[str]) -> list[Mount]:
    """``ROOT/kept/<n>`` bound back at its own path in the fresh tmpfs, read-only."""
    mounts = []
    for n, path in enumerate(kept):
        mounts.append(Mount(str(root / KEPT / str(n)), path, flags=MS_BIND, make_target=True))
        mounts.append(Mount("", path, flags=MS_BIND | MS_REMOUNT | MS_RDONLY))
    return mounts


def node_mounts(root: Path, cni_bin: str) -> list[Mount]:
    """The node's own mounts, in order."""
    mounts = [
        Mount(
            "overlay",
            top,
            "overlay",
            0,
            f"lowerdir={top},upperdir={root / top.strip('/') / 'upper'},"
            f"workdir={root / top.strip('/') / 'work'}",
        )
        for top in OVERLAID
    ]
    mounts += [Mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, opts) for top, opts in TMPFS]
    mounts.append(Mount(str(root / "containerd"), CONTAINERD_ROOT, flags=MS_BIND, make_target=True))
    mounts.append(Mount(cni_bin, CNI_BIN, flags=MS_BIND, make_target=True))
    mounts.append(Mount("", CNI_BIN, flags=MS_BIND | MS_REMOUNT | MS_RDONLY))
    return mounts


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _mount(libc: ctypes.CDLL, mount: Mount) -> None:
    if mount.make_target:
        os.makedirs(mount.target, exist_ok=True)
    result = libc.mount(
        mount.source.encode() or None,
        mount.target.encode(),
        mount.fstype.encode() or None,
        ctypes.c_ulong(mount.flags),
        mount.data.encode() or None,
    )
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(
            error, f"mount {mount.fstype or 'bind'} on {mount.target}: {os.strerror(error)}"
        )


def prepare(root: Path, hostname: str, cni_bin: str) -> None:
    """Everything but the sleep: detach, mount, name the node."""
    libc = _libc()
    detached = to_detach(mountinfo(Path("/proc/self/mountinfo").read_text()))
    kept = kept_in_place(tool_paths())
    for mount in set_aside(root, kept):  # before the detach: /tmp may itself be a mount
        _mount(libc, mount)
    for point in detached:
        libc.umount2(point.encode(), MNT_DETACH)  # gone with a parent already: nothing to do
    for mount in [*node_mounts(root, cni_bin), *put_back(root, kept)]:
        _mount(libc, mount)
    name = hostname.encode()
    if libc.sethostname(name, len(name)) != 0:
        raise OSError(ctypes.get_errno(), "sethostname")


def main(argv: list[str]) -> int:
    """0 once the node's filesystem is made (the caller then becomes the sleep)."""
    if len(argv) != 3:
        print("usage: nodefs ROOT HOSTNAME CNI_BIN_DIR", file=sys.stderr)
        return 2
    root, hostname, cni_bin = Path(argv[0]), argv[1], argv[2]
    try:
        prepare(root, hostname, cni_bin)
        (root / READY).write_text("ready\n")
    except OSError as error:
        print(f"node {hostname}: {error}", file=sys.stderr)
        return 1
    return 0


def hold() -> None:
    """Become ``sleep infinity``: the namespaces' holder, at a sleep's cost."""
    sys.stdout.flush()
    os.execv("/bin/sleep", ["sleep", "infinity"])  # noqa: S606 (fixed program, no shell)


if __name__ == "__main__":
    if main(sys.argv[1:]) != 0:
        sys.exit(1)
    hold()
