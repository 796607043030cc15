"""kubeadm's generic check kinds (``FileAvailableCheck``, ``PortOpenCheck``, ...) over a ``Host``.

Each is a probe followed by a pure judge, with kubeadm's exact messages; the check modules declare
the concrete ids (``Port-10250``, ``FileExisting-ip``, ...) in kubeadm's order.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Container

from kubeadm_verify.checks import Finding, failed, passed, warned
from nodechecks.context import NodeContext
from nodechecks.host import UnreadableHostFile
from nodechecks.parsers.net import TcpSocket, listeners_on


def judge_port(
    port: int, sockets: list[TcpSocket], address: str = "", local: Container[str] | None = None
) -> Finding:
    """kubeadm binds ``:port``, or ``address:port`` where it knows the address (etcd: the
    advertise address). A LISTEN socket that would make that bind fail fails the check:
    any listener for ``:port``; one on the address itself or on a wildcard for ``address:port``.
    An address that is not this host's cannot be bound at all, which kubeadm reports the same
    way ("Port N is in use"). Connected sockets using the port do not count."""
    if address and local is not None and address not in local:
        return failed(
            f"Port {port} is in use",
            f"{address} is not an address of this host, so {address}:{port} cannot be "
            "bound: fix the advertise address",
            bind=f"{address}:{port}",
        )
    listeners = [s for s in listeners_on(sockets, port) if _conflicts(s, address)]
    if listeners:
        where = sorted({_endpoint(s) for s in listeners})
        return failed(
            f"Port {port} is in use",
            f"stop whatever listens on {', '.join(where)} (see `ss -ltnp 'sport = :{port}'`)",
            listeners=where,
        )
    return passed(f"nothing listens on port {port}", port=port, bind=f"{address}:{port}")


def _conflicts(sock: TcpSocket, address: str) -> bool:
    if not address:
        return True
    try:
        mine, wanted = ipaddress.ip_address(sock.local_address), ipaddress.ip_address(address)
    except ValueError:
        return True
    if mine.is_unspecified:
        return True  # a wildcard listener (Go's are dual-stack) holds the port on every address
    if isinstance(mine, ipaddress.IPv6Address) and mine.ipv4_mapped is not None:
        mine = mine.ipv4_mapped
    return mine == wanted


def _endpoint(sock: TcpSocket) -> str:
    address = sock.local_address
    return f"[{address}]:{sock.local_port}" if ":" in address else f"{address}:{sock.local_port}"


def port_free(ctx: NodeContext, port: int, address: str = "") -> Finding:
    """Read-only: the listeners (the kernel's socket diagnostics on the live host, the socket
    tables under a root) and the local addresses, never a bind."""
    local = ctx.local_addresses if address else None
    return judge_port(port, ctx.tcp_listeners, address, local)


def file_available(ctx: NodeContext, path: str) -> Finding:
    """The file must not exist yet (kubeadm would overwrite it)."""
    if ctx.host.exists(path):
        return failed(
            f"{path} already exists",
            "remove it, or run `kubeadm reset` if this node was set up before",
            path=path,
        )
    return passed(f"{path} does not exist", path=path)


def dir_available(ctx: NodeContext, path: str) -> Finding:
    """The directory must not exist, or be empty."""
    if not ctx.host.exists(path):
        return passed(f"{path} does not exist", path=path)
    try:
        entries = ctx.host.listdir(path)
    except OSError as exc:
        return failed(
            f"unable to check if {path} is empty: {exc.strerror or exc}",
            f"make {path} an empty directory, or remove it",
            path=path,
        )
    if entries:
        return failed(
            f"{path} is not empty",
            f"remove the contents of {path} (an old etcd's data) before kubeadm init",
            path=path,
            entries=entries[:10],
        )
    return passed(f"{path} is empty", path=path)


def file_content(ctx: NodeContext, path: str, content: str, remediation: str) -> Finding:
    """The file starts with ``content`` (kubeadm reads exactly ``len(content)`` bytes)."""
    if not ctx.host.exists(path):
        return failed(f"{path} does not exist", remediation, path=path)
    try:
        head = ctx.host.read_bytes(path, len(content.encode()), head=True)
    except UnreadableHostFile:
        raise  # not a regular file: "cannot determine", as for every host read
    except OSError:
        return failed(f"{path} could not be read", remediation, path=path)
    if head != content.encode():
        return failed(
            f"{path} contents are not set to {content}",
            remediation,
            path=path,
            value=head.decode(errors="replace"),
        )
    return passed(f"{path} is {content}", path=path, value=content)


def in_path(ctx: NodeContext, executable: str, *, mandatory: bool, suggestion: str = "") -> Finding:
    """kubeadm's ``InPathCheck``: a missing mandatory binary is an error, an optional one warns.

    Looked up as ``exec.LookPath`` does, through ``$PATH`` (the root's standard bin dirs under
    ``--root``), so a binary in ``/opt/bin`` on PATH is found as kubeadm finds it."""
    found = ctx.host.which(executable)
    if found is not None:
        return passed(f"{executable} found at {found}", path=found)
    message = f"{executable} not found in system path"
    remediation = f"install the package that provides {executable}"
    dirs = " ".join(ctx.host.search_dirs())
    if mandatory:
        return failed(message, remediation, searched=dirs)
    if suggestion:
        message += f"\nSuggestion: {suggestion}"
    return warned(message, remediation, searched=dirs)


def path_id(prefix: str, path: str) -> str:
    """kubeadm's id for a path check: ``FileAvailable-`` + the path with ``/`` replaced by ``-``."""
    return prefix + "-" + path.replace("/", "-")
