"""The node tools we take from Debian rather than build: found on the host, or named as missing.

runc, the CNI plugins, a static busybox, iptables (nf_tables backend), OpenBSD netcat, curl
and dig are packaged well by Debian and are not Go modules we could build from a pinned
version. Each is looked for at the path its package installs; what is missing is reported
with the package to install, in one line, before anything is started.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kubeadm_verify.errors import BootstrapError

CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")
"""The plugins of the node's conflist (``loopback`` is what containerd sets ``lo`` up with)."""

_SEARCH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_CNI_DIRS = ("/usr/lib/cni", "/opt/cni/bin")


@dataclass(frozen=True)
class Tool:
    """A program we need, the Debian package that installs it, and where that puts it."""

    name: str
    package: str
    candidates: tuple[str, ...]


TOOLS = (
    Tool("runc", "runc", ("runc",)),
    Tool("busybox", "busybox-static", ("busybox",)),
    Tool("iptables", "iptables", ("xtables-nft-multi",)),
    Tool("netcat", "netcat-openbsd", ("nc.openbsd",)),
    Tool("nsenter", "util-linux", ("nsenter",)),
    Tool("curl", "curl", ("curl",)),
    Tool("dig", "bind9-dnsutils", ("dig",)),
)


@dataclass(frozen=True)
class HostTools:
    """Absolute paths of the Debian tools a node uses."""

    runc: Path
    busybox: Path
    iptables: Path
    netcat: Path
    nsenter: Path
    cni_bin_dir: Path
    curl: Path = Path("/usr/bin/curl")
    dig: Path = Path("/usr/bin/dig")


def _which(names: tuple[str, ...]) -> Path | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SEARCH])
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return Path(found)
    return None


def _cni_dir() -> Path | None:
    for directory in _CNI_DIRS:
        if all((Path(directory) / plugin).is_file() for plugin in CNI_PLUGINS):
            return Path(directory)
    return None


def missing_host_tools() -> list[str]:
    """Debian packages that must be installed before a node can start (empty when none)."""
    missing = [tool.package for tool in TOOLS if _which(tool.candidates) is None]
    if _cni_dir() is None:
        missing.append("containernetworking-plugins")
    return missing


def find_host_tools() -> HostTools:
    """The tools' paths, or one line that says which packages to install."""
    missing = missing_host_tools()
    if missing:
        raise BootstrapError(
            "real nodes need Debian packages that are not installed: "
            f"apt-get install {' '.join(missing)}"
        )
    found = {tool.name: _which(tool.candidates) for tool in TOOLS}
    cni = _cni_dir()
    assert cni is not None and all(found.values())
    return HostTools(cni_bin_dir=cni, **{name: Path(str(path)) for name, path in found.items()})
