"""Probes through a fabricated root: symlinks, executables, CPUs, cgroups, kernel config search."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nodechecks import facts
from nodechecks.host import Host, HostPathError
from nodechecks.parsers import ParseError
from tests.unit.nodechecks.node_roots import (
    FABRICATED,
    KERNEL_CONFIG,
    RECORDED,
    RELEASE,
    gzipped,
    link,
    write,
)


def test_absolute_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    write(tmp_path, "etc/real.conf", "inside\n")
    link(tmp_path, "etc/abs.conf", "/etc/real.conf")
    link(tmp_path, "etc/up.conf", "../../../../../etc/real.conf")  # cannot climb out of the root
    host = Host(str(tmp_path))
    assert host.read_text("/etc/abs.conf") == "inside\n"
    assert host.read_text("/etc/up.conf") == "inside\n"
    assert host.path("/etc/abs.conf") == str(tmp_path / "etc/real.conf")


def test_a_double_slash_link_target_stays_inside_the_root(tmp_path: Path) -> None:
    """POSIX lets a path start with exactly two slashes; it is still the root's own /etc."""
    write(tmp_path, "etc/real.conf", "inside\n")
    link(tmp_path, "etc/two.conf", "//etc/real.conf")
    link(tmp_path, "etc/many.conf", "///etc//./real.conf")
    host = Host(str(tmp_path))
    assert host.path("/etc/two.conf") == str(tmp_path / "etc/real.conf")
    assert host.path("//etc/many.conf") == str(tmp_path / "etc/real.conf")
    assert host.read_text("/etc/two.conf") == "inside\n"


def test_relative_symlinked_directories(tmp_path: Path) -> None:
    write(tmp_path, "usr/bin/tool", "#!/bin/sh\n", 0o755)
    link(tmp_path, "bin", "usr/bin")
    link(tmp_path, "usr/local/bin", "../bin")
    host = Host(str(tmp_path))
    assert host.is_file("/bin/tool")
    assert host.read_text("/usr/local/bin/tool").startswith("#!")


def test_symlink_loop_is_an_error(tmp_path: Path) -> None:
    link(tmp_path, "a", "/b")
    link(tmp_path, "b", "/a")
    host = Host(str(tmp_path))
    with pytest.raises(HostPathError):
        host.path("/a/x")
    assert not host.exists("/a/x")


def test_which_needs_a_regular_file_with_an_x_bit(tmp_path: Path) -> None:
    write(tmp_path, "usr/sbin/iptables", "#!/bin/sh\n", 0o644)  # no x bit
    write(tmp_path, "usr/bin/ip", "#!/bin/sh\n", 0o700)
    (tmp_path / "usr/bin/socat").mkdir(parents=True)  # a directory is not an executable
    write(tmp_path, "usr/bin/real-tc", "#!/bin/sh\n", 0o755)
    link(tmp_path, "sbin/tc", "/usr/bin/real-tc")  # absolute link, resolved in the root
    host = Host(str(tmp_path))
    assert host.which("iptables") is None
    assert host.which("ip") == "/usr/bin/ip"
    assert host.which("socat") is None
    assert host.which("tc") == "/sbin/tc"


def test_which_under_a_root_ignores_this_process_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "opt/bin/kubelet", "#!/bin/sh\n", 0o755)
    monkeypatch.setenv("PATH", "/opt/bin")
    assert Host(str(tmp_path)).which("kubelet") is None


def test_nothing_outside_the_root_is_read(tmp_path: Path) -> None:
    link(tmp_path, "etc/machine-id", "/etc/hostname")  # the root has no /etc/hostname
    link(tmp_path, "etc/passwd", "/etc/passwd")  # points at itself inside the root
    host = Host(str(tmp_path))
    assert os.path.exists("/etc/hostname") and os.path.exists("/etc/passwd")
    assert not host.exists("/etc/machine-id") and not host.exists("/etc/passwd")
    with pytest.raises(FileNotFoundError):
        host.read_text("/etc/machine-id")
    with pytest.raises(OSError, match="symbolic links"):
        host.read_text("/etc/passwd")


def test_cpu_count_online_list_then_cpuinfo(tmp_path: Path) -> None:
    write(tmp_path, "sys/devices/system/cpu/online", "0-3,6\n")
    assert facts.cpu_count(Host(str(tmp_path))) == facts.Fact(5, "/sys/devices/system/cpu/online")
    (tmp_path / "sys/devices/system/cpu/online").unlink()
    write(tmp_path, "proc/cpuinfo", (RECORDED / "cpuinfo").read_text())
    assert facts.cpu_count(Host(str(tmp_path))).source == "/proc/cpuinfo"
    assert facts.cpu_count(Host(str(tmp_path))).value >= 1


def test_mem_from_meminfo_under_a_root(tmp_path: Path) -> None:
    write(tmp_path, "proc/meminfo", "MemTotal:        1740800 kB\n")
    assert facts.mem_total_mb(Host(str(tmp_path))) == facts.Fact(1700, "/proc/meminfo")


def test_cgroup_v2_v1_and_hybrid_detection(tmp_path: Path) -> None:
    host = Host(str(tmp_path))
    write(tmp_path, "proc/self/mountinfo", (FABRICATED / "mountinfo-v2").read_text())
    assert facts.cgroup_mode(host).version == 2
    write(tmp_path, "proc/self/mountinfo", (FABRICATED / "mountinfo-v1").read_text())
    (tmp_path / "sys/fs/cgroup/memory").mkdir(parents=True)
    assert facts.cgroup_mode(host).version == 1
    write(tmp_path, "proc/self/mountinfo", (RECORDED / "mountinfo-v1-hybrid").read_text())
    assert facts.cgroup_mode(host) == facts.CgroupMode(1, "/sys/fs/cgroup", "/proc/self/mountinfo")


def test_cgroup_falls_back_to_proc_mounts(tmp_path: Path) -> None:
    write(tmp_path, "proc/mounts", (FABRICATED / "mounts-v2").read_text())
    mode = facts.cgroup_mode(Host(str(tmp_path)))
    assert (mode.version, mode.source) == (2, "/proc/mounts")


def test_tmpfs_is_v1_only_with_v1_controllers_below_and_no_cgroup_mount_is_an_error() -> None:
    from nodechecks.parsers.procfs import Mount

    tmpfs = [Mount("tmpfs", "/sys/fs/cgroup", "tmpfs")]
    assert facts.cgroup_mode_from_mounts(tmpfs) == (2, "/sys/fs/cgroup")
    v1 = [*tmpfs, Mount("cgroup", "/sys/fs/cgroup/memory", "cgroup")]
    assert facts.cgroup_mode_from_mounts(v1) == (1, "/sys/fs/cgroup")
    unified = [Mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2")]
    assert facts.cgroup_mode_from_mounts(unified)[0] == 2
    with pytest.raises(ParseError):
        facts.cgroup_mode_from_mounts([Mount("/dev/sda", "/", "ext4")])


def test_a_root_whose_mountinfo_says_v1_is_v1_without_any_sys(tmp_path: Path) -> None:
    write(tmp_path, "proc/self/mountinfo", (RECORDED / "mountinfo-v1-hybrid").read_text())
    assert not (tmp_path / "sys").exists()
    assert facts.cgroup_mode(Host(str(tmp_path))).version == 1


def test_v2_freezer_from_the_kernel_release_without_writing(tmp_path: Path) -> None:
    write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu memory pids\n")
    host = Host(str(tmp_path))
    mode = facts.CgroupMode(2, "/sys/fs/cgroup", "test")
    before = set(os.listdir(tmp_path / "sys/fs/cgroup"))
    # no child cgroup is visible: a 5.2+ kernel has cgroup.freeze all the same
    assert facts.cgroup_subsystems(host, mode, "6.8.0-45-generic") == [
        "devices",
        "freezer",
        "cpuset",
        "cpu",
        "memory",
        "pids",
    ]
    assert facts.cgroup_subsystems(host, mode, "5.1.21") == [
        "devices",
        "cpuset",
        "cpu",
        "memory",
        "pids",
    ]
    write(tmp_path, "sys/fs/cgroup/system.slice/cgroup.freeze", "0\n")
    assert "freezer" in (facts.cgroup_subsystems(host, mode, "5.1.21") or [])
    assert set(os.listdir(tmp_path / "sys/fs/cgroup")) == before | {"system.slice"}


def test_missing_controller_lists_are_unknown_not_empty(tmp_path: Path) -> None:
    host = Host(str(tmp_path))
    assert facts.cgroup_subsystems(host, facts.CgroupMode(2, "/sys/fs/cgroup", "t"), "6.8") is None
    assert facts.cgroup_subsystems(host, facts.CgroupMode(1, "/sys/fs/cgroup", "t"), "6.8") is None


def test_kernel_at_least() -> None:
    assert facts.kernel_at_least("5.2.0", (5, 2)) and facts.kernel_at_least("10.0", (5, 2))
    assert not facts.kernel_at_least("4.19.300-x", (5, 2))
    assert not facts.kernel_at_least("weird", (5, 2))


def test_v1_subsystems_from_proc_cgroups(tmp_path: Path) -> None:
    write(tmp_path, "proc/cgroups", (FABRICATED / "cgroups-v1-no-pids").read_text())
    subsystems = facts.cgroup_subsystems(Host(str(tmp_path)), facts.CgroupMode(1, "/x", "t"), "6.8")
    assert subsystems is not None
    assert "pids" not in subsystems and "memory" in subsystems


@pytest.mark.parametrize("location", facts.kernel_config_paths(RELEASE))
@pytest.mark.parametrize("compressed", [False, True])
def test_kernel_config_found_in_each_location(
    tmp_path: Path, location: str, compressed: bool
) -> None:
    content: str | bytes = (
        gzipped(KERNEL_CONFIG) if compressed or location.endswith(".gz") else KERNEL_CONFIG
    )
    write(tmp_path, location, content)
    found = facts.kernel_config(Host(str(tmp_path)), RELEASE)
    assert found is not None
    assert found[0] == location and found[1]["CONFIG_NAMESPACES"] == "y"


def test_kernel_config_first_location_wins_and_none_is_none(tmp_path: Path) -> None:
    host = Host(str(tmp_path))
    assert facts.kernel_config(host, RELEASE) is None
    write(tmp_path, f"lib/modules/{RELEASE}/build/.config", "CONFIG_LAST=y\n")
    write(tmp_path, f"boot/config-{RELEASE}", "CONFIG_FIRST=y\n")
    found = facts.kernel_config(host, RELEASE)
    assert found is not None and found[0] == f"/boot/config-{RELEASE}"
    assert facts.kernel_config(host, "other-release") is None  # names carry the release


def test_routes_and_sockets_optional_files(tmp_path: Path) -> None:
    write(tmp_path, "proc/net/tcp", (FABRICATED / "net-tcp-listeners").read_text())
    host = Host(str(tmp_path))
    assert len(facts.tcp_sockets(host)) == 4  # no tcp6 (IPv6 disabled) is fine
    assert facts.routes(host) == ([], [])
