"""A node's own containerd 2.x: its configuration, and starting it inside the node's namespace.

Everything it would put in fixed host paths is pointed into the node's directory (root, state,
sockets, CNI config, ``/opt/containerd``, the pod network namespaces' mounts), NRI and CDI are off,
and the registry is unreachable on purpose: every registry resolves through one ``_default``
hosts entry at a closed port of the node's own loopback, so a pull fails at once, names the
image, and no name lookup leaves the machine. Images are imported before the kubelet starts.

One setting depends on the host: ``restrict_oom_score_adj`` is on only where this process may not
lower an ``oom_score_adj`` (no CAP_SYS_RESOURCE, as in some VMs), where runc would otherwise fail
every sandbox with ``can't get final child's PID from pipe``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups
from bootstrap.runtime.nodes.layout import SOCKET_LIMIT, NodeLayout, too_long
from bootstrap.runtime.state import ProcessRecord
from bootstrap.upstream.images.catalog import pause_tags
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.access import WaitFailed
from kubeadm_verify.errors import BootstrapError

CLOSED_REGISTRY = "https://127.0.0.1:1"
"""Port 1 of the node's own loopback: nothing listens there, so a pull is refused at once."""
START_TIMEOUT = 30.0


def _q(value: str | Path) -> str:
    text = str(value)
    if any(ch in text for ch in '"\\\n'):
        raise BootstrapError(f"path not usable in containerd's TOML: {text!r}")
    return f'"{text}"'


def containerd_config(layout: NodeLayout, parts: NodeParts, restrict_oom: bool) -> str:
    """config.toml (version 3, containerd 2.x)."""
    cri_runtime = "plugins.'io.containerd.cri.v1.runtime'"
    cri_images = "plugins.'io.containerd.cri.v1.images'"
    lines = [
        "version = 3",
        f"root = {_q(layout.containerd / 'root')}",
        f"state = {_q(layout.containerd / 'state')}",
        f"temp = {_q(layout.containerd / 'tmp')}",
        "",
        "[grpc]",
        f"  address = {_q(layout.socket)}",
        "",
        f"[{cri_images}]",
        '  snapshotter = "overlayfs"',
        f"[{cri_images}.pinned_images]",
        f"  sandbox = {_q(pause_tags()[0])}",
        f"[{cri_images}.registry]",
        f"  config_path = {_q(layout.registry_hosts)}",
        "",
        f"[{cri_runtime}]",
        "  enable_cdi = false",
        f"  restrict_oom_score_adj = {'true' if restrict_oom else 'false'}",
        "  netns_mounts_under_state_dir = true",
        f"[{cri_runtime}.cni]",
        f"  bin_dirs = [{_q(parts.host.cni_bin_dir)}]",
        f"  conf_dir = {_q(layout.cni_conf_dir)}",
        f"[{cri_runtime}.containerd]",
        '  default_runtime_name = "runc"',
        f"[{cri_runtime}.containerd.runtimes.runc]",
        '  runtime_type = "io.containerd.runc.v2"',
        f"[{cri_runtime}.containerd.runtimes.runc.options]",
        f"  BinaryName = {_q(parts.host.runc)}",
        f"  Root = {_q(layout.containerd / 'runc')}",
        "  SystemdCgroup = false",
        "",
        "[plugins.'io.containerd.internal.v1.opt']",
        f"  path = {_q(layout.containerd / 'opt')}",
        "[plugins.'io.containerd.image-verifier.v1.bindir']",
        f"  bin_dir = {_q(layout.containerd / 'verifiers')}",
        "[plugins.'io.containerd.nri.v1.nri']",
        "  disable = true",
        "",
    ]
    return "\n".join(lines)


def registry_hosts() -> str:
    """certs.d/_default/hosts.toml: every registry's only host is a closed port."""
    return (
        f'server = "{CLOSED_REGISTRY}"\n\n[host."{CLOSED_REGISTRY}"]\n'
        '  capabilities = ["pull", "resolve"]\n'
    )


def oom_score_restricted() -> bool:
    """True when this process may not lower an ``oom_score_adj`` (tried on itself, undone)."""
    path = Path("/proc/self/oom_score_adj")
    current = int(path.read_text().strip())
    if current <= -1000:
        return False
    try:
        path.write_text(str(current - 1))
    except PermissionError:
        return True
    path.write_text(str(current))  # raising it back needs no privilege
    return False


def write_config(layout: NodeLayout, parts: NodeParts) -> None:
    long = too_long(layout.sockets)
    if long:  # the runtime dir is short by design (``layout``): only a broken record gets here
        raise BootstrapError(f"{long[0]}: longer than the {SOCKET_LIMIT} bytes a socket path has")
    layout.containerd_config.write_text(containerd_config(layout, parts, oom_score_restricted()))
    (layout.registry_hosts / "_default" / "hosts.toml").write_text(registry_hosts())


def runtime_env(parts: NodeParts) -> dict[str, str]:
    """PATH finds this containerd's own shim and runc first (another containerd's shim on
    PATH would be started instead, and speak another protocol)."""
    env = dict(os.environ)
    path = [str(parts.built), str(parts.host.runc.parent), "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    env["PATH"] = os.pathsep.join(path)
    return env


def start(
    layout: NodeLayout, parts: NodeParts, netns_path: Path, cgroup_root: str, logs: Path
) -> ProcessRecord:
    """containerd in the node's network namespace and in ``<cgroup_root>/runtime``, once its
    socket answers; one that does not start is stopped again, so that the caller, which
    records what this returns, never loses one."""
    argv = [
        str(parts.host.nsenter),
        f"--net={netns_path}",
        "--",
        str(parts.part("containerd")),
        "--config",
        str(layout.containerd_config),
    ]
    log = layout.log(logs, "containerd")
    proc = process.start("containerd", argv, log, env=runtime_env(parts))
    try:
        cgroups.enter(cgroup_root, proc.pid)
        process.wait_while_running(proc, layout.socket.exists, START_TIMEOUT, "containerd socket")
    except WaitFailed:
        process.stop([proc])
        raise BootstrapError(f"containerd of {layout.name} did not start; see {log}") from None
    except BaseException:
        process.stop([proc])
        raise
    return proc


SHIM_SOCKETS = Path("/run/containerd/s")
"""Fixed in containerd 2.x (``defaults.DefaultStateDir``): not configurable per containerd."""


def shim_sockets(layout: NodeLayout) -> list[Path]:
    """The sockets this node's shims listen on, as each task dir records them (containerd 2.x
    writes ``bootstrap.json``, older ones ``address``).

    A shim killed with its node cannot remove its socket, and the directory is shared by every
    containerd on the host, so only these are removed at teardown.
    """
    found = []
    for task in (layout.containerd / "state").glob("io.containerd.runtime.v2.task/*/*"):
        address = _task_address(task)
        path = Path(address.removeprefix("unix://")) if address else None
        if path is not None and path.parent == SHIM_SOCKETS:
            found.append(path)
    return sorted(set(found))


def _task_address(task: Path) -> str:
    try:
        return str(json.loads((task / "bootstrap.json").read_text()).get("address", ""))
    except (OSError, ValueError, AttributeError):
        pass
    try:
        return (task / "address").read_text().strip()
    except OSError:
        return ""
