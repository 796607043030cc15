"""**Beyond** kubeadm: free space and inodes on the file system that will hold /var/lib."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, passed, unknown, warned
from kubeadm_verify.results import Severity
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.parsers import ParseError, procfs

IMAGEFS_AVAILABLE_MIN = 0.15
INODES_FREE_MIN = 0.05


def judge_disk(path: str, blocks: int, available: int, files: int, files_free: int) -> Finding:
    """Free space above the kubelet's hard eviction (imagefs.available 15%, which /var/lib
    usually holds with nodefs) and free inodes above nodefs.inodesFree 5%."""
    space = available / blocks if blocks else 1.0
    inodes = files_free / files if files else 1.0
    details = {
        "path": path,
        "available_pct": round(space * 100, 1),
        "inodes_free_pct": round(inodes * 100, 1),
    }
    problems = []
    if space < IMAGEFS_AVAILABLE_MIN:
        problems.append(f"{space:.0%} of {path} is free (< {IMAGEFS_AVAILABLE_MIN:.0%})")
    if inodes < INODES_FREE_MIN:
        problems.append(f"{inodes:.0%} of the inodes of {path} are free (< {INODES_FREE_MIN:.0%})")
    if problems:
        return warned(
            "; ".join(problems) + ": the kubelet would start evicting pods",
            f"free space on the file system of {path}",
            **details,
        )
    return passed(f"{space:.0%} of {path} is free", **details)


@REGISTRY.check("DiskSpace--var-lib", severity=Severity.WARNING, origin="beyond")
def disk_space(ctx: NodeContext) -> Finding:
    """**beyond**: the file system holding /var/lib (images, etcd, pod volumes) has room.

    Under ``--root``, that is ``<root>/var/lib`` with its links resolved inside the root. When
    the root does not have it, or the host mounts a file system there (its own mountinfo says so)
    that this view of the root does not show, the answer is "cannot determine", never the free
    space of whatever file system holds the root folder.
    """
    path = "/var/lib"
    if not ctx.host.is_dir(path):
        if not ctx.host.is_live:
            return unknown(
                f"the free space of {path}: the root has no {path}",
                "mount the host's /var/lib under the root",
            )
        while path != "/" and not ctx.host.is_dir(path):
            path = path.rsplit("/", 1)[0] or "/"
    hidden = _hidden_mount(ctx, path)
    if hidden:
        return unknown(
            f"the free space of {path}: the host mounts a file system at {hidden}, "
            "which this view of the root does not show",
            "mount the host root with its submounts (rbind)",
            mountpoint=hidden,
        )
    st = ctx.host.statvfs(path)
    return judge_disk(path, st.f_blocks, st.f_bavail, st.f_files, st.f_ffree)


def _hidden_mount(ctx: NodeContext, path: str) -> str:
    """The host's mount point holding ``path`` when that mount is missing from our view."""
    if ctx.host.is_live or not ctx.host.exists("/proc/self/mountinfo"):
        return ""
    try:
        mounts = procfs.parse_mountinfo(ctx.host.read_text("/proc/self/mountinfo"))
    except ParseError:
        return ""
    holders = [
        m.mountpoint
        for m in mounts
        if path == m.mountpoint or path.startswith(m.mountpoint.rstrip("/") + "/")
    ]
    holder = max(holders, key=len, default="/")
    if holder == "/" or not ctx.host.is_dir(holder):
        return ""
    return holder if ctx.host.stat(holder).st_dev == ctx.host.stat("/").st_dev else ""
