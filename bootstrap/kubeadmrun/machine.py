"""A node that is a whole machine to kubeadm: its network namespace (``nodes.network``) plus a
mount and a UTS namespace held by one process (``nodefs``), entered by every program of the node.

Where its files are (``Machine``): one dir per node in the cluster's runtime dir under
``layout.MACHINE_ROOT``, holding the upper and work dirs of its overlays, its containerd root and
its logs' marker. A file the node writes at ``/etc/...``, ``/usr/...``, ``/var/...`` or
``/opt/...`` is seen by the host at ``<root>/<top>/upper/...`` (``host_view``): that is how the
host reads ``admin.conf`` and the CA, and writes the node's configuration before it starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bootstrap.kubeadmrun import nodefs
from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups
from bootstrap.runtime.state import ProcessRecord
from kubeadm_verify.access import WaitFailed, WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

HOLDER_TIMEOUT_S = 30.0
KILL_TIMEOUT_S = 60.0
CONTAINERD_SOCKET = "/run/containerd/containerd.sock"


@dataclass(frozen=True)
class Machine:
    root: Path
    name: str

    def upper(self, top: str) -> Path:
        return self.root / top.strip("/") / "upper"

    def host_view(self, path: str) -> Path:
        """Where the host sees a file the node has at ``path`` (one of its own, not a host
        file shown through the overlay)."""
        parts = PurePosixPath(path).parts
        if len(parts) < 2 or "/" + parts[1] not in nodefs.OVERLAID:
            raise ValueError(f"{path}: not under {', '.join(nodefs.OVERLAID)}")
        return self.upper(parts[1]).joinpath(*parts[2:])

    @property
    def ready_marker(self) -> Path:
        return self.root / nodefs.READY

    def create(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for top in nodefs.OVERLAID:
            for sub in ("upper", "work"):
                (self.root / top.strip("/") / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "containerd").mkdir(mode=0o711, exist_ok=True)

    def write(self, path: str, text: str, mode: int = 0o644) -> Path:
        """A file the node will have at ``path`` (``/etc/...``) from its first moment."""
        target = self.host_view(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(target, mode)
        return target

    def place(self, source: Path, path: str) -> Path:
        """The host's file ``source`` at the node's ``path``: a hard link where the file system
        allows, else a copy."""
        target = self.host_view(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return target


def in_running_node(holder: ProcessRecord, path: str) -> Path:
    """Where the host reaches the running node's ``path`` through the node's own mount view:
    a file put straight into an overlay's upper dir while it is mounted may stay unseen (the
    overlay has looked the old one up already), so a running node's files change only here."""
    return Path(f"/proc/{holder.pid}/root") / path.lstrip("/")


def install_in_running_node(
    holder: ProcessRecord, source: Path | None, path: str, *, text: str = "", mode: int = 0o755
) -> None:
    """``source`` (or ``text``) at the running node's ``path``: written beside it and renamed
    over it, so a program running from the old file keeps running it."""
    target = in_running_node(holder, path)
    fresh = target.with_name(f".{target.name}.new")
    if source is not None:
        shutil.copyfile(source, fresh)
    else:
        fresh.write_text(text, encoding="utf-8")
    os.chmod(fresh, mode)
    os.replace(fresh, target)


def holder_argv(nsenter: Path, netns: Path, machine: Machine, cni_bin: Path) -> list[str]:
    unshare = nsenter.parent / "unshare"
    return [
        str(nsenter),
        f"--net={netns}",
        "--",
        str(unshare),
        "--mount",
        "--uts",
        "--propagation",
        "private",
        "--",
        sys.executable,
        "-m",
        "bootstrap.kubeadmrun.nodefs",
        str(machine.root),
        machine.name,
        str(cni_bin),
    ]


def spawn_holder(
    machine: Machine, nsenter: Path, netns: Path, cni_bin: Path, log: Path, env: dict[str, str]
) -> ProcessRecord:
    """The holder (its pid is ``nsenter``'s, which execs on into ``unshare``, python and
    ``sleep`` without forking); ``wait_holder`` waits for its mounts."""
    machine.ready_marker.unlink(missing_ok=True)
    argv = holder_argv(nsenter, netns, machine, cni_bin)
    return process.start("holder", argv, log, env=env)


def wait_holder(machine: Machine, holder: ProcessRecord, log: Path) -> str:
    """Wait until the holder's mounts are made; return its mount namespace's name."""
    try:
        process.wait_while_running(
            holder, machine.ready_marker.exists, HOLDER_TIMEOUT_S, "mount-ready marker"
        )
    except WaitFailed as failed:
        raise BootstrapError(
            f"the namespaces of {machine.name} were not made: {failed}; see {log}"
        ) from None
    namespace = mount_namespace(holder.pid)
    if namespace == mount_namespace(os.getpid()):
        raise BootstrapError(f"the holder of {machine.name} shares our mount namespace")
    return namespace


def mount_namespace(pid: int) -> str:
    """``mnt:[<inode>]``: what names a mount namespace while any process holds it."""
    return os.readlink(f"/proc/{pid}/ns/mnt")


def enter_argv(nsenter: Path, holder: ProcessRecord) -> list[str]:
    """The prefix that runs a program inside the node (its network, mount and UTS namespaces),
    refused once the holder has gone (its pid could name another process by then)."""
    if not process.is_running(holder):
        raise BootstrapError(f"a node is gone: its namespace holder (pid {holder.pid}) has exited")
    return [str(nsenter), "-t", str(holder.pid), "--net", "--mount", "--uts", "--"]


def socket_from_host(holder: ProcessRecord) -> str:
    """The node's containerd socket, reached by the host through the holder's root."""
    return f"/proc/{holder.pid}/root{CONTAINERD_SOCKET}"


def in_namespace(pid: int, namespace: str) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt") == namespace
    except OSError:
        return False


def _members(namespace: str) -> set[int]:
    return {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and in_namespace(int(entry.name), namespace)
    }


def kill_namespace(
    namespace: str, timeout: float = KILL_TIMEOUT_S, cgroup_root: str | None = None
) -> set[int]:
    """SIGKILL every process in the node's mount namespace (``mount_namespace``'s answer) until
    none is left; return what would not die. The namespace, with every mount in it, goes with
    its last process. Our own is never a node's, so this process is never among them. With
    the node's ``cgroup_root``, each round thaws what is frozen there (``cgroups.thaw``): a
    runc killed here while it froze a container leaves that frozen otherwise."""
    if namespace == mount_namespace(os.getpid()):
        raise BootstrapError("refusing to kill the processes of our own mount namespace")

    def still_inside(pid: int) -> bool:
        return in_namespace(pid, namespace)

    def none_left() -> bool:
        for pid in _members(namespace):  # each checked again once a pidfd holds it
            process.kill_if(pid, still_inside)
        if cgroup_root is not None:
            cgroups.thaw(cgroup_root)
        return not _members(namespace)

    with contextlib.suppress(WaitTimedOut):
        wait_for(none_left, timeout, interval=0.1, what="the node's processes to die")
    return _members(namespace)
