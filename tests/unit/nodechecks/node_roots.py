"""Fabricated host roots for the node checks: a healthy cgroup v2 control-plane host by default,
which a test then breaks one file at a time."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "node"
RECORDED = FIXTURES / "recorded"
FABRICATED = FIXTURES / "fabricated"
RELEASE = "6.8.0-45-generic"

KERNEL_CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
#
CONFIG_NAMESPACES=y
CONFIG_NET_NS=y
CONFIG_PID_NS=y
CONFIG_IPC_NS=y
CONFIG_UTS_NS=y
CONFIG_CPUSETS=y
CONFIG_MEMCG=y
CONFIG_INET=y
CONFIG_EXT4_FS=y
CONFIG_PROC_FS=y
CONFIG_NETFILTER_XT_TARGET_REDIRECT=m
CONFIG_NETFILTER_XT_MATCH_COMMENT=m
CONFIG_FAIR_GROUP_SCHED=y
CONFIG_CGROUPS=y
CONFIG_CGROUP_CPUACCT=y
CONFIG_CGROUP_DEVICE=y
CONFIG_CGROUP_FREEZER=y
CONFIG_CGROUP_BPF=y
CONFIG_CGROUP_PIDS=y
CONFIG_CGROUP_SCHED=y
CONFIG_OVERLAY_FS=m
CONFIG_AUFS_FS=m
CONFIG_BLK_DEV_DM=y
CONFIG_CFS_BANDWIDTH=y
CONFIG_SECCOMP=y
CONFIG_SECCOMP_FILTER=y
CONFIG_CGROUP_HUGETLB=y
CONFIG_BRIDGE_NETFILTER=m
# CONFIG_DEBUG_INFO is not set
"""

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)
ESTABLISHED = (
    "   0: 0F02000A:9C40 0A02000A:192B 01 00000000:00000000 02:00000A4E 00000000  1000 "
    "       0 24569 2 0000000000000000 20 4 30 10 -1\n"
)


def write(root: Path, path: str, content: str | bytes, mode: int | None = None) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    if mode is not None:
        target.chmod(mode)
    return target


def link(root: Path, path: str, target: str) -> None:
    source = root / path.lstrip("/")
    source.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, source)


def healthy_root(root: Path) -> Path:
    """A cgroup v2 Ubuntu-like host on which every check passes or skips under --root."""
    files = {
        "proc/sys/kernel/osrelease": RELEASE + "\n",
        "proc/sys/kernel/ostype": "Linux\n",
        "proc/sys/kernel/hostname": "node-1\n",
        "proc/sys/kernel/pid_max": "4194304\n",
        "proc/sys/fs/inotify/max_user_instances": "8192\n",
        "proc/sys/fs/inotify/max_user_watches": "524288\n",
        "proc/sys/net/ipv4/ip_forward": "1\n",
        "proc/sys/net/ipv6/conf/default/forwarding": "1\n",
        "proc/sys/net/bridge/bridge-nf-call-iptables": "1\n",
        "proc/meminfo": "MemTotal:        4015616 kB\nMemFree:         3000000 kB\n",
        "proc/swaps": "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
        "sys/devices/system/cpu/online": "0-3\n",
        "proc/net/tcp": TCP_HEADER + ESTABLISHED,
        "proc/net/tcp6": TCP_HEADER,
        "proc/net/route": (FABRICATED / "net-route-default").read_text(),
        "proc/net/ipv6_route": "",
        "proc/self/mountinfo": (FABRICATED / "mountinfo-v2").read_text(),
        "proc/cgroups": (RECORDED / "cgroups-v1").read_text(),
        "sys/fs/cgroup/cgroup.controllers": (FABRICATED / "cgroup.controllers-v2").read_text(),
        "sys/fs/cgroup/init.scope/cgroup.freeze": "0\n",
        f"boot/config-{RELEASE}": KERNEL_CONFIG,
        "proc/modules": (FABRICATED / "modules").read_text(),
        "proc/filesystems": (RECORDED / "filesystems").read_text(),
        "etc/os-release": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nID=ubuntu\n',
        "etc/hosts": "127.0.0.1 localhost\n10.0.2.15 node-1\n",
        "etc/resolv.conf": "nameserver 10.0.2.3\n",
        "etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n",
        "sys/class/dmi/id/product_uuid": "8c1f2a9e-0000-4b5e-9c3d-5f7a1b2c3d4e\n",
        "lib/systemd/system/kubelet.service": "[Service]\nExecStart=/usr/bin/kubelet\n",
        "etc/containerd/config.toml": (FABRICATED / "containerd-config-v2.toml").read_text(),
        "run/systemd/timesync/synchronized": "",
    }
    for path, content in files.items():
        write(root, path, content)
    for name in ("losetup", "mount", "cp", "iptables", "systemctl"):
        write(root, f"usr/bin/{name}", "#!/bin/sh\n", 0o755)
    (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
    link(root, "bin", "usr/bin")  # relative, as on merged-/usr distributions
    link(root, "sbin", "usr/sbin")
    link(
        root,
        "etc/systemd/system/multi-user.target.wants/kubelet.service",
        "/lib/systemd/system/kubelet.service",
    )  # absolute: must resolve inside the root
    (root / "var/lib").mkdir(parents=True, exist_ok=True)
    return root


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode())
