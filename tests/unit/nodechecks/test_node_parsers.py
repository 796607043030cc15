"""Parsers over recorded and fabricated /proc, /sys and /etc text, and over garbage."""

from __future__ import annotations

import gzip

import pytest

from nodechecks.parsers import ParseError, etc, kconfig, net, procfs
from tests.unit.nodechecks.node_roots import FABRICATED, RECORDED

ANY_V4 = ".".join(["0"] * 4)  # the wildcard address as the kernel reports it


def test_meminfo_recorded() -> None:
    fields = procfs.parse_meminfo((RECORDED / "meminfo").read_text())
    assert fields["MemTotal"] > 1_000_000
    assert procfs.mem_total_mb((RECORDED / "meminfo").read_text()) == fields["MemTotal"] // 1024


@pytest.mark.parametrize(
    ("kb", "mb"), [(1740800, 1700), (1740799, 1699), (1741823, 1700), (1024, 1)]
)
def test_mem_total_mb_rounds_down_like_sysinfo(kb: int, mb: int) -> None:
    assert procfs.mem_total_mb(f"MemTotal:       {kb} kB\n") == mb


@pytest.mark.parametrize("text", ["", "MemFree: 10 kB\n", "MemTotal: lots\n", "\x00\x01garbage"])
def test_meminfo_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        procfs.parse_meminfo(text)


def test_swaps_off_recorded_and_on_fabricated() -> None:
    assert procfs.parse_swaps((RECORDED / "swaps").read_text()) == []
    on = procfs.parse_swaps((FABRICATED / "swaps-on").read_text())
    assert [s.filename for s in on] == ["/swap.img", "/dev/zram0"]
    assert on[1].kind == "partition" and on[1].used_kb == 1024 and on[1].priority == 100
    assert procfs.parse_swaps("") == []


@pytest.mark.parametrize(
    "text", ["garbage line\n", "Filename Type\n/swap file big 0 -2\n", "Filename\n/swap\n"]
)
def test_swaps_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        procfs.parse_swaps(text)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("0\n", {0}),
        ("0-3\n", {0, 1, 2, 3}),
        ("0-3,6\n", {0, 1, 2, 3, 6}),
        ("0,2,4-5", {0, 2, 4, 5}),
        ("1-1", {1}),
    ],
)
def test_cpu_list(text: str, cpus: set[int]) -> None:
    assert procfs.parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["", "\n", "a-b", "3-1", "0-", "0,,1", "0-3;6"])
def test_cpu_list_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        procfs.parse_cpu_list(text)


def test_cpu_online_recorded_matches_cpuinfo_recorded() -> None:
    online = procfs.parse_cpu_list((RECORDED / "cpu-online").read_text())
    assert len(online) == procfs.count_cpuinfo((RECORDED / "cpuinfo").read_text())


def test_cpuinfo_garbage() -> None:
    with pytest.raises(ParseError):
        procfs.count_cpuinfo("model name: nothing\n")


def test_mountinfo_and_mounts() -> None:
    mounts = procfs.parse_mountinfo((FABRICATED / "mountinfo-v2").read_text())
    cgroup = [m for m in mounts if m.mountpoint == "/sys/fs/cgroup"]
    assert cgroup and cgroup[0].fstype == "cgroup2"
    assert any(m.mountpoint == "/var/lib/my data" for m in mounts)  # \040 unescaped
    plain = procfs.parse_mounts((FABRICATED / "mounts-v2").read_text())
    assert [m.fstype for m in plain if m.mountpoint == "/sys/fs/cgroup"] == ["cgroup2"]
    hybrid = procfs.parse_mountinfo((RECORDED / "mountinfo-v1-hybrid").read_text())
    assert {m.fstype for m in hybrid if m.mountpoint.startswith("/sys/fs/cgroup")} >= {
        "tmpfs",
        "cgroup",
    }


@pytest.mark.parametrize("text", ["", "1 2 3\n", "31 23 0:28 / /sys/fs/cgroup rw\n"])
def test_mountinfo_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        procfs.parse_mountinfo(text)


def test_mounts_garbage() -> None:
    with pytest.raises(ParseError):
        procfs.parse_mounts("cgroup2 /sys/fs/cgroup\n")


def test_proc_cgroups() -> None:
    assert set(procfs.parse_proc_cgroups((RECORDED / "cgroups-v1").read_text())) >= {
        "cpu",
        "cpuacct",
        "cpuset",
        "devices",
        "freezer",
        "memory",
        "pids",
    }
    assert "pids" not in procfs.parse_proc_cgroups((FABRICATED / "cgroups-v1-no-pids").read_text())
    assert procfs.parse_proc_cgroups("#subsys_name\thierarchy\tnum_cgroups\tenabled\n") == []
    with pytest.raises(ParseError):
        procfs.parse_proc_cgroups("cpu 1 2 yes\n")


def test_cgroup_controllers() -> None:
    names = procfs.parse_cgroup_controllers((FABRICATED / "cgroup.controllers-v2").read_text())
    assert names == ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]
    assert procfs.parse_cgroup_controllers("") == []
    with pytest.raises(ParseError):
        procfs.parse_cgroup_controllers("cpu <html>\n")


def test_modules_builtin_dep_filesystems() -> None:
    assert procfs.parse_proc_modules((FABRICATED / "modules").read_text()) == {
        "br_netfilter",
        "bridge",
        "overlay",
    }
    assert procfs.parse_modules_builtin((FABRICATED / "modules.builtin").read_text()) == {
        "ext4",
        "br_netfilter",
    }
    assert procfs.parse_modules_dep((FABRICATED / "modules.dep").read_text()) == {
        "overlay",
        "br_netfilter",
    }
    assert procfs.module_name("kernel/drivers/foo-bar.ko.xz") == "foo_bar"
    assert "overlay" in procfs.parse_filesystems((RECORDED / "filesystems").read_text())
    for bad, parser in (
        ("x y\n", procfs.parse_proc_modules),
        ("not a module\n", procfs.parse_modules_builtin),
        ("overlay.ko\n", procfs.parse_modules_dep),
    ):
        with pytest.raises(ParseError):
            parser(bad)


def test_sysctl_int() -> None:
    assert procfs.parse_sysctl_int("4194304\n") == 4194304
    with pytest.raises(ParseError):
        procfs.parse_sysctl_int("lots\n", "kernel.pid_max")


def test_tcp_listen_versus_connected_ipv4_and_ipv6() -> None:
    v4 = net.parse_proc_net_tcp((FABRICATED / "net-tcp-listeners").read_text())
    v6 = net.parse_proc_net_tcp((FABRICATED / "net-tcp6-listeners").read_text())
    sockets = v4 + v6
    assert [(s.local_address, s.local_port) for s in sockets if s.listening] == [
        ("127.0.0.1", 2379),
        (ANY_V4, 6443),
        ("::", 10250),
        ("::1", 3306),
    ]
    assert net.listeners_on(sockets, 6443)[0].local_address == ANY_V4
    assert net.listeners_on(sockets, 2380) == []  # a connected socket with local port 2380
    assert net.listeners_on(sockets, 10259) == []  # connected over ::1
    assert net.listeners_on(sockets, 10250)[0].local_address == "::"


def test_tcp_recorded() -> None:
    sockets = net.parse_proc_net_tcp((RECORDED / "net-tcp").read_text())
    assert sockets and all(s.local_port > 0 for s in sockets)
    assert net.parse_proc_net_tcp((RECORDED / "net-tcp6").read_text()) == []


@pytest.mark.parametrize(
    "text",
    [
        "garbage\n",
        "  sl  local_address\n   0: XYZ:12 00:00 0A\n",
        "  sl  local_address\n   0: 0100:0016 00000000:0000 0A x\n",
    ],
)
def test_tcp_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        net.parse_proc_net_tcp(text)


def test_routes() -> None:
    v4 = net.parse_proc_net_route((RECORDED / "net-route").read_text())
    default = net.default_routes(v4)
    assert default and default[0].prefix_length == 0 and default[0].gateway != ANY_V4
    assert (
        net.default_routes(
            net.parse_proc_net_route((FABRICATED / "net-route-no-default").read_text())
        )
        == []
    )
    v6 = net.parse_proc_net_ipv6_route((RECORDED / "net-ipv6_route").read_text())
    v6_default = net.default_routes(v6)
    assert [r.interface for r in v6_default] == ["eth0"]  # the lo reject route is not one
    assert v6_default[0].gateway == "fd00::1"


@pytest.mark.parametrize("text", ["Iface\tDestination\neth0 zz\n", "bogus header\n"])
def test_route_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        net.parse_proc_net_route(text)


def test_ipv6_route_garbage() -> None:
    with pytest.raises(ParseError):
        net.parse_proc_net_ipv6_route("0000 00 eth0\n")


def test_kernel_config_plain_gzip_and_garbage() -> None:
    recorded = kconfig.decode_config((RECORDED / "config.gz").read_bytes(), "/proc/config.gz")
    options = kconfig.parse_kernel_config(recorded)
    assert options["CONFIG_NAMESPACES"] == "y"
    text = 'CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=n\n  CONFIG_E=y\nCONFIG_F="s"\n'
    parsed = kconfig.parse_kernel_config(text)
    assert parsed == {"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_D": "n", "CONFIG_E": "y"}
    # gzip recognised by its magic even without the .gz name, as at /boot/config-<release>
    assert kconfig.decode_config(gzip.compress(text.encode()), "/boot/config-x") == text
    with pytest.raises(ParseError):
        kconfig.decode_config(b"\x1f\x8bnot really gzip", "/proc/config.gz")
    with pytest.raises(ParseError):
        kconfig.parse_kernel_config("hello world\n")


def test_os_release_resolv_hosts_machine_id() -> None:
    fields = etc.parse_os_release((RECORDED / "os-release").read_text())
    assert fields["ID"] == "debian" and "Debian" in fields["PRETTY_NAME"]
    with pytest.raises(ParseError):
        etc.parse_os_release("this is not os-release\n")
    with pytest.raises(ParseError):
        etc.parse_os_release('NAME="unterminated\n')
    assert etc.parse_resolv_conf((FABRICATED / "resolv.conf-resolved").read_text()) == [
        "127.0.0.53"
    ]
    assert etc.parse_resolv_conf("nameserver 10.0.0.2 # dns\n; comment\nnameserver ::1\n") == [
        "10.0.0.2",
        "::1",
    ]
    assert etc.hosts_names("127.0.0.1 localhost Node-1 # me\n")["node-1"] == ["127.0.0.1"]
    assert etc.parse_machine_id("3d1219c7c4c5404aaa1f6d2a48adfda4\n")
    with pytest.raises(ParseError):
        etc.parse_machine_id("uninitialized\n")
