"""The Debian tools' paths a node uses, as on this machine, for unit tests that make
``NodeParts`` without looking anything up."""

from __future__ import annotations

from pathlib import Path

from bootstrap.upstream.nodeparts import HostTools

DEBIAN_TOOLS = HostTools(
    runc=Path("/usr/sbin/runc"),
    busybox=Path("/bin/busybox"),
    iptables=Path("/usr/sbin/xtables-nft-multi"),
    netcat=Path("/bin/nc.openbsd"),
    nsenter=Path("/usr/bin/nsenter"),
    cni_bin_dir=Path("/usr/lib/cni"),
)
