"""The ``Host``'s bounded reads and PATH lookup, and parsers that never repeat what they read."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from nodechecks.host import Host, UnreadableHostFile
from nodechecks.parsers import ParseError, etc, kconfig, net, procfs

SHADOW = "root:$6$kvnodeSALT$kvnodeHASH:19700:0:99999:7:::\n"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "meminfo")
    started = time.monotonic()
    with pytest.raises(UnreadableHostFile, match="a FIFO, not a regular file"):
        Host(str(tmp_path)).read_text("/meminfo")
    assert time.monotonic() - started < 1


def test_a_device_is_refused_unopened(tmp_path: Path) -> None:
    os.mknod(tmp_path / "zero", 0o600 | 0o020000, os.makedev(1, 5))
    with pytest.raises(UnreadableHostFile, match="a character device"):
        Host(str(tmp_path)).read_bytes("/zero")


def test_reads_are_capped(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 1000)
    host = Host(str(tmp_path))
    with pytest.raises(UnreadableHostFile, match="larger than 999 bytes"):
        host.read_bytes("/big", 999)
    assert host.read_bytes("/big", 1000) == b"x" * 1000
    assert host.read_bytes("/big", 3, head=True) == b"xxx"


def test_the_unreadable_error_names_the_path_never_the_content(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/shadow").write_text(SHADOW * 10)
    with pytest.raises(UnreadableHostFile) as caught:
        Host(str(tmp_path)).read_bytes("/etc/shadow", 10)
    assert "kvnode" not in str(caught.value) and "/etc/shadow" in str(caught.value)


@pytest.mark.parametrize("live", [True, False], ids=["live-host", "under-a-root"])
def test_links_resolve_alike_on_the_live_host_and_under_a_root(tmp_path: Path, live: bool) -> None:
    """The live host hands paths to the kernel; under a root the Host walks them itself. Either
    way a chain of links reads its target, ``..`` after a link climbs from where it points, and
    a dangling link is not there (as for ``stat``, which kubeadm's file checks use)."""
    tree = tmp_path / "tree"
    (tree / "etc" / "real").mkdir(parents=True)
    (tree / "etc" / "real" / "file").write_text("content")
    (tree / "etc" / "sibling").write_text("beside")
    (tree / "etc" / "link").symlink_to("real")
    (tree / "etc" / "chain").symlink_to("link/file")
    (tree / "etc" / "dangling").symlink_to("nowhere")
    host, base = (Host("/"), str(tree)) if live else (Host(str(tree)), "")
    assert host.read_text(f"{base}/etc/chain") == "content"
    assert host.read_text(f"{base}/etc/link/../sibling") == "beside"
    assert host.read_text(f"{base}//etc/./link/file") == "content"
    assert host.exists(f"{base}/etc/chain")
    assert not host.exists(f"{base}/etc/dangling")
    assert not host.is_file(f"{base}/etc/dangling")
    assert host.is_dir(f"{base}/etc/link")


def test_which_follows_path_on_the_live_host(tmp_path: Path) -> None:
    opt = tmp_path / "opt-bin"
    opt.mkdir()
    (opt / "kubelet").write_text("#!/bin/sh\n")
    (opt / "kubelet").chmod(0o755)
    (opt / "plain").write_text("")
    live = Host("/", search_path=f"relative/dir::{opt}")
    assert live.search_dirs() == [str(opt)]  # Go's LookPath refuses relative entries
    assert live.which("kubelet") == str(opt / "kubelet")
    assert live.which("plain") is None  # no execute bit
    assert Host("/", search_path="").which("sh") is None


def test_under_a_root_which_uses_its_standard_dirs(tmp_path: Path) -> None:
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/losetup").write_text("")
    (tmp_path / "usr/sbin/losetup").chmod(0o755)
    os.symlink("usr/sbin", tmp_path / "sbin")
    host = Host(str(tmp_path), search_path=str(tmp_path / "usr/sbin"))
    assert host.search_dirs()[0] == "/usr/local/sbin"  # the tool's own PATH is not the root's
    assert host.which("losetup") == "/usr/sbin/losetup"


def test_a_gzip_bomb_is_bounded() -> None:
    bomb = gzip.compress(b"CONFIG_X=y\n" + b"\0" * (kconfig.MAX_CONFIG_BYTES + 10))
    with pytest.raises(ParseError, match="once decompressed"):
        kconfig.decode_config(bomb, "/proc/config.gz")
    with pytest.raises(ParseError, match="not a valid gzip file"):
        kconfig.decode_config(b"\x1f\x8bnot gzip", "/proc/config.gz")


@pytest.mark.parametrize(
    "parse",
    [
        procfs.parse_meminfo,
        procfs.parse_swaps,
        procfs.parse_mountinfo,
        procfs.parse_mounts,
        procfs.parse_proc_cgroups,
        procfs.parse_proc_modules,
        procfs.parse_modules_builtin,
        procfs.parse_modules_dep,
        procfs.parse_cpu_list,
        procfs.parse_sysctl_int,
        procfs.parse_cgroup_controllers,
        net.parse_proc_net_tcp,
        net.parse_proc_net_route,
        net.parse_proc_net_ipv6_route,
        etc.parse_os_release,
        etc.parse_machine_id,
    ],
)
def test_parse_errors_never_repeat_the_text(parse: object) -> None:
    text = "header kvnodeHEADER\n" + SHADOW
    with pytest.raises(ParseError) as caught:
        parse(text)  # type: ignore[operator]
    assert "kvnode" not in str(caught.value) and "root:" not in str(caught.value)


FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
     |-- 192.0.2.2
        /32 host LOCAL
     |-- 192.0.2.255
        /32 link BROADCAST
Local:
     |-- 127.0.0.0
        /8 host LOCAL
"""


def test_local_addresses_from_fib_trie_and_if_inet6(tmp_path: Path) -> None:
    from nodechecks import facts

    (tmp_path / "proc/net").mkdir(parents=True)
    host = Host(str(tmp_path))
    assert facts.local_addresses(host) is None  # no tables: nothing to judge a bind against
    (tmp_path / "proc/net/fib_trie").write_text("")
    assert facts.local_addresses(host) is None  # a fresh netns: the kernel binds anything
    (tmp_path / "proc/net/fib_trie").write_text(FIB_TRIE)
    (tmp_path / "proc/net/if_inet6").write_text(
        "fd000000000000000000000000000002 04 40 00 82     eth0\n"
    )
    local = facts.local_addresses(host)
    assert local is not None
    assert "192.0.2.2" in local and "127.0.0.9" in local and "fd00::2" in local
    assert "192.0.2.255" not in local and "10.255.0.1" not in local and "x" not in local


def test_ports_as_kubeadm_binds_them() -> None:
    from kubeadm_verify.results import Status
    from nodechecks.checks.kinds import judge_port
    from nodechecks.parsers.net import TcpSocket

    loopback = [TcpSocket("127.0.0.1", 2379, "127.0.0.1", 0, 0x0A)]
    wildcard = [TcpSocket("::", 2379, "::", 0, 0x0A)]
    local = {"192.0.2.2", "127.0.0.1"}
    assert judge_port(2379, loopback).status is Status.FAIL  # ":2379" collides with anything
    assert judge_port(2379, loopback, "192.0.2.2", local).status is Status.PASS
    assert judge_port(2379, loopback, "127.0.0.1", local).status is Status.FAIL
    assert judge_port(2379, wildcard, "192.0.2.2", local).status is Status.FAIL
    elsewhere = judge_port(2379, [], "10.255.0.1", local)  # not this host's: no bind possible
    assert (elsewhere.status, elsewhere.message) == (Status.FAIL, "Port 2379 is in use")
    assert judge_port(2379, [], "10.255.0.1", None).status is Status.PASS
