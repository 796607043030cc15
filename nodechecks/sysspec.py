"""system-validators' ``DefaultSysSpec`` for Linux (types_unix.go, v1.12.x), as data.

Kept as data so a new upstream release is a diff of this file only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from kubeadm_verify.typeshim import NamedTuple


class KernelConfig(NamedTuple):
    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""


class SysSpec(NamedTuple):
    os: str
    kernel_versions: tuple[str, ...]
    kernel_versions_note: str
    required: tuple[KernelConfig, ...]
    required_cgroups_v1: tuple[KernelConfig, ...]
    required_cgroups_v2: tuple[KernelConfig, ...]
    optional: tuple[KernelConfig, ...]
    optional_cgroups_v1: tuple[KernelConfig, ...]
    optional_cgroups_v2: tuple[KernelConfig, ...]
    forbidden: tuple[KernelConfig, ...]
    cgroups: tuple[str, ...]
    cgroups_optional: tuple[str, ...]
    cgroups_v2: tuple[str, ...]
    cgroups_v2_optional: tuple[str, ...]


_HUGETLB = KernelConfig("CGROUP_HUGETLB", description="Required for hugetlb cgroup.")

DEFAULT_SYS_SPEC = SysSpec(
    os="Linux",
    kernel_versions=(
        r"^5\.4.*$",
        r"^5\.10.*$",
        r"^5\.15.*$",
        r"^([6-9]|[1-9][0-9]+)\.([0-9]+)\.([0-9]+).*$",
    ),
    kernel_versions_note=(
        "Supported LTS versions from the 5.x series are 5.4, 5.10 and 5.15. Any 6.x version is "
        "also supported. For cgroups v2 support, the recommended version is 5.10 or newer"
    ),
    required=(
        KernelConfig("NAMESPACES"),
        KernelConfig("NET_NS"),
        KernelConfig("PID_NS"),
        KernelConfig("IPC_NS"),
        KernelConfig("UTS_NS"),
        KernelConfig("CPUSETS"),
        KernelConfig("MEMCG"),
        KernelConfig("INET"),
        KernelConfig("EXT4_FS"),
        KernelConfig("PROC_FS"),
        KernelConfig("NETFILTER_XT_TARGET_REDIRECT", ("IP_NF_TARGET_REDIRECT",)),
        KernelConfig("NETFILTER_XT_MATCH_COMMENT"),
        KernelConfig("FAIR_GROUP_SCHED"),
    ),
    required_cgroups_v1=(
        KernelConfig("CGROUPS", description="Required for cgroups."),
        KernelConfig(
            "CGROUP_CPUACCT",
            description=(
                "Required for cpuacct controller, used in simple CPU accounting controller."
            ),
        ),
        KernelConfig("CGROUP_DEVICE", description="Required for device controller."),
        KernelConfig("CGROUP_FREEZER", description="Required for freezer controller."),
        KernelConfig("CGROUP_PIDS", description="Required for PIDs controller."),
        KernelConfig("CGROUP_SCHED", description="Required for CPU controller."),
    ),
    required_cgroups_v2=(
        KernelConfig("CGROUPS", description="Required for cgroups."),
        KernelConfig(
            "CGROUP_BPF",
            description=(
                "Required for eBPF programs attached to cgroups, used in device controller."
            ),
        ),
        KernelConfig("CGROUP_PIDS", description="Required for PIDs controller."),
        KernelConfig("CGROUP_SCHED", description="Required for CPU controller."),
    ),
    optional=(
        KernelConfig("OVERLAY_FS", ("OVERLAYFS_FS",), "Required for overlayfs."),
        KernelConfig("AUFS_FS", description="Required for aufs."),
        KernelConfig("BLK_DEV_DM", description="Required for devicemapper."),
        KernelConfig("CFS_BANDWIDTH", description="Required for CPU quota."),
        KernelConfig("SECCOMP", description="Required for seccomp."),
        KernelConfig("SECCOMP_FILTER", description="Required for seccomp mode 2."),
    ),
    optional_cgroups_v1=(_HUGETLB,),
    optional_cgroups_v2=(_HUGETLB,),
    forbidden=(),
    cgroups=("cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"),
    cgroups_optional=("hugetlb", "blkio"),
    cgroups_v2=("cpu", "cpuset", "devices", "freezer", "memory", "pids"),
    cgroups_v2_optional=("hugetlb", "io"),
)
