"""Registered checks run against fabricated roots: verdicts, skips, ignores, isolation of errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kubeadm_verify.results import CheckResult, Status
from nodechecks.checks import REGISTRY
from tests.unit.nodechecks.node_roots import FABRICATED, RECORDED, RELEASE, link, write

Run = Callable[..., CheckResult]
ALWAYS_SKIPPED_UNDER_ROOT = {
    "IsPrivilegedUser",
    "HTTPProxy",
    "HTTPProxyCIDR",
    "CRI",
    "ContainerRuntimeVersion",
    "KubeletVersion",
    "FileExisting-conntrack",
    "ExternalEtcdVersion",
    "ExternalEtcdClientCertificates",
    "ImagePull",
    "FileContent--proc-sys-net-ipv6-conf-default-forwarding",
}


def run_all(run: Run, root: Path, **context: object) -> dict[str, CheckResult]:
    return {check.id: run(check.id, root, **context) for check in REGISTRY}


def test_healthy_control_plane_root_passes_or_skips(run: Run, root: Path) -> None:
    results = run_all(run, root)
    assert {i for i, r in results.items() if r.status is Status.SKIP} == (
        ALWAYS_SKIPPED_UNDER_ROOT
        | {
            "FileAvailable--etc-kubernetes-kubelet.conf",
            "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf",
            "FileAvailable--etc-kubernetes-pki-ca.crt",
        }
    )
    failing = {
        i: r.message for i, r in results.items() if r.status not in (Status.PASS, Status.SKIP)
    }
    assert failing == {}
    report = results["SystemVerification"].details["report"]
    assert {"key": "CGROUPS_FREEZER", "value": "enabled", "result": "good"} in report
    assert results["NumCPU"].details["cpus"] == 4
    assert results["Mem"].details["mem_mb"] == 3921


def test_worker_role_skips_control_plane_checks(run: Run, root: Path) -> None:
    results = run_all(run, root, role="worker")
    assert results["NumCPU"].status is Status.SKIP
    assert results["NumCPU"].message == "does not apply to the worker role"
    assert results["Port-6443"].status is Status.SKIP
    assert results["FileAvailable--etc-kubernetes-pki-ca.crt"].status is Status.PASS
    write(root, "etc/kubernetes/kubelet.conf", "apiVersion: v1\n")
    again = run("FileAvailable--etc-kubernetes-kubelet.conf", root, role="worker")
    assert again.message == "/etc/kubernetes/kubelet.conf already exists"


def test_every_run_lists_the_same_ids(run: Run, root: Path) -> None:
    assert list(run_all(run, root)) == list(run_all(run, root, role="worker"))
    assert len(REGISTRY) == 49


@pytest.mark.parametrize(
    ("path", "content", "broken"),
    [
        ("proc/meminfo", "\x00\x01 not meminfo", {"Mem"}),
        (
            "proc/net/tcp",
            "garbage\n",
            {"Port-6443", "Port-10259", "Port-10257", "Port-10250", "Port-2379", "Port-2380"},
        ),
        ("proc/self/mountinfo", "nonsense\n", {"SystemVerification"}),
        ("sys/devices/system/cpu/online", "zero-three\n", {"NumCPU"}),
        ("proc/sys/kernel/pid_max", "many\n", {"PidMax"}),
        (
            f"boot/config-{RELEASE}",
            b"\x1f\x8b\x08broken",
            {"SystemVerification", "KernelModule-br_netfilter", "KernelModule-overlay"},
        ),
        ("etc/os-release", "no equals sign here\n", {"SystemVerification"}),
        ("proc/net/route", "Iface\tDestination\neth0\tZZ\n", {"DefaultRoute"}),
    ],
)
def test_garbage_is_an_error_for_that_check_only(
    run: Run, root: Path, path: str, content: str | bytes, broken: set[str]
) -> None:
    write(root, path, content)
    results = run_all(run, root)
    errored = {i for i, r in results.items() if r.status is Status.ERROR}
    assert errored == broken
    assert all(
        r.message.startswith("the check could not run") for i, r in results.items() if i in broken
    )


@pytest.mark.parametrize(
    ("path", "broken"),
    [
        ("proc/meminfo", "Mem"),
        ("proc/sys/fs/inotify/max_user_watches", "Inotify"),
        ("proc/swaps", "Swap"),
    ],
)
def test_a_directory_is_cannot_determine_for_that_check_only(
    run: Run, root: Path, path: str, broken: str
) -> None:
    healthy = run_all(run, root)
    (root / path).unlink()
    (root / path).mkdir()  # not a regular file: never opened, never read
    results = run_all(run, root)
    changed = {i for i, r in results.items() if r.status is not healthy[i].status}
    assert changed == ({broken} if healthy[broken].status is not Status.WARN else set())
    assert results[broken].status is Status.WARN
    assert results[broken].message.startswith("cannot determine")
    assert f"{path.split('/')[-1]}: a directory, not a regular file" in results[broken].message


def test_symlink_loop_is_cannot_determine(run: Run, root: Path) -> None:
    (root / "proc/meminfo").unlink()
    link(root, "proc/meminfo", "/proc/meminfo")
    result = run("Mem", root)
    assert result.status is Status.WARN and "too many levels of symbolic links" in result.message


def test_port_check_is_named_after_bind_port_and_ignorable(run: Run, root: Path) -> None:
    tcp = (FABRICATED / "net-tcp-listeners").read_text().replace(":192B ", ":20FB ")  # 8443
    write(root, "proc/net/tcp", tcp)
    result = run("Port-6443", root, bind_port=8443)
    assert (result.id, result.status, result.message) == (
        "Port-8443",
        Status.FAIL,
        "Port 8443 is in use",
    )
    ignored = run("Port-6443", root, bind_port=8443, ignored=frozenset({"port-8443"}))
    assert (ignored.status, ignored.details["ignored"]) == (Status.WARN, True)
    assert run("Port-2379", root).status is Status.FAIL  # 127.0.0.1:2379 listens
    assert run("Port-2380", root).status is Status.PASS  # only a connected socket


def test_ignore_all_downgrades_every_failure(run: Run, root: Path) -> None:
    write(root, "sys/devices/system/cpu/online", "0\n")
    assert run("NumCPU", root).status is Status.FAIL
    assert run("NumCPU", root, ignored=frozenset({"all"})).status is Status.WARN


def test_memory_boundary(run: Run, root: Path) -> None:
    write(root, "proc/meminfo", "MemTotal:        1740800 kB\n")
    assert run("Mem", root).status is Status.PASS
    write(root, "proc/meminfo", "MemTotal:        1740799 kB\n")
    assert run("Mem", root).message == "the system RAM (1699 MB) is less than the minimum 1700 MB"


def test_executable_without_x_bit(run: Run, root: Path) -> None:
    (root / "usr/bin/losetup").chmod(0o644)
    result = run("FileExisting-losetup", root)
    assert (result.status, result.message) == (Status.FAIL, "losetup not found in system path")
    assert result.origin == "kubeadm"
    (root / "usr/bin/iptables").unlink()
    beyond = run("InPath-iptables", root)
    assert (beyond.status, beyond.origin) == (Status.WARN, "beyond")


def test_executables_in_sbin_through_the_roots_links(run: Run, root: Path) -> None:
    (root / "usr/bin/cp").rename(root / "usr/sbin/cp")
    assert run("FileExisting-cp", root).details["path"] == "/usr/sbin/cp"


def test_conntrack_only_before_1_32(run: Run, root: Path) -> None:
    assert run("FileExisting-conntrack", root).status is Status.SKIP
    old = run("FileExisting-conntrack", root, kubernetes_version="v1.31.4")
    assert (old.status, old.message) == (Status.FAIL, "conntrack not found in system path")


def test_forwarding_checks_follow_ip_families(run: Run, root: Path) -> None:
    write(root, "proc/sys/net/ipv4/ip_forward", "0\n")
    v4 = run("FileContent--proc-sys-net-ipv4-ip_forward", root)
    assert v4.message == "/proc/sys/net/ipv4/ip_forward contents are not set to 1"
    write(root, "proc/sys/net/ipv6/conf/default/forwarding", "0\n")
    ipv6_id = "FileContent--proc-sys-net-ipv6-conf-default-forwarding"
    assert run(ipv6_id, root).status is Status.SKIP
    dual = run(ipv6_id, root, pod_subnet="10.244.0.0/16,fd00:10:244::/56")
    assert dual.status is Status.FAIL
    only_v6 = run(
        "FileContent--proc-sys-net-ipv4-ip_forward", root, service_subnet="fd00:10:96::/112"
    )
    assert only_v6.status is Status.SKIP
    (root / "proc/sys/net/ipv4/ip_forward").unlink()
    assert run("FileContent--proc-sys-net-ipv4-ip_forward", root).message == (
        "/proc/sys/net/ipv4/ip_forward does not exist"
    )


def make_v1(root: Path) -> None:
    write(root, "proc/self/mountinfo", (RECORDED / "mountinfo-v1-hybrid").read_text())
    (root / "sys/fs/cgroup/memory").mkdir(parents=True)


def test_cgroup_v1_root_fails_for_the_default_kubelet_and_warns_for_old(
    run: Run, root: Path
) -> None:
    make_v1(root)
    result = run("SystemVerification", root)
    assert result.status is Status.FAIL and "cgroups v1 support is deprecated" in result.message
    assert result.details["cgroup_version"] == 1
    old = run("SystemVerification", root, kubernetes_version="v1.34.2")
    assert old.status is Status.WARN
    write(root, "proc/swaps", (FABRICATED / "swaps-on").read_text())
    assert "cgroup v1 host" in run("Swap", root).message


def test_missing_kernel_config_is_a_warning(run: Run, root: Path) -> None:
    (root / f"boot/config-{RELEASE}").unlink()
    result = run("SystemVerification", root)
    assert result.status is Status.WARN and "cannot determine the kernel configuration" in (
        result.message
    )
    assert result.details["kernel_config"] is None


def test_missing_required_cgroup_on_v2(run: Run, root: Path) -> None:
    write(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    (root / "sys/fs/cgroup/init.scope/cgroup.freeze").unlink()
    result = run("SystemVerification", root)
    assert result.message == "missing required cgroups: cpuset pids"  # freezer: kernel 6.8
    write(root, "proc/sys/kernel/osrelease", "5.1.0\n")
    old = run("SystemVerification", root)
    assert "missing required cgroups: cpuset freezer pids" in old.message


def test_v2_without_visible_child_cgroups_has_freezer(run: Run, root: Path) -> None:
    (root / "sys/fs/cgroup/init.scope/cgroup.freeze").unlink()
    (root / "sys/fs/cgroup/init.scope").rmdir()
    result = run("SystemVerification", root)
    assert result.status is Status.PASS
    assert {"key": "CGROUPS_FREEZER", "value": "enabled", "result": "good"} in (
        result.details["report"]
    )


def test_root_whose_mountinfo_says_v1_and_has_no_sys(run: Run, root: Path) -> None:
    import shutil

    shutil.rmtree(root / "sys")
    write(root, "proc/self/mountinfo", (RECORDED / "mountinfo-v1-hybrid").read_text())
    result = run("SystemVerification", root)
    assert result.status is Status.FAIL  # kubelet v1.37 (the target) on cgroup v1: an error
    assert result.details["cgroup_version"] == 1
    assert "cgroups v1 support is deprecated" in result.message
    (root / "proc/cgroups").unlink()
    unknown = run("SystemVerification", root)
    assert unknown.status is Status.FAIL and "cannot determine the cgroup controllers" in (
        " ".join(unknown.details["warnings"])
    )
    swap = run("Swap", root)
    assert swap.status is not Status.ERROR


def test_service_kubelet_enabled_disabled_masked_absent(run: Run, root: Path) -> None:
    assert run("Service-kubelet", root).status is Status.PASS
    (root / "etc/systemd/system/multi-user.target.wants/kubelet.service").unlink()
    disabled = run("Service-kubelet", root)
    assert disabled.message == (
        "kubelet service is not enabled, please run 'systemctl enable kubelet.service'"
    )
    link(root, "etc/systemd/system/kubelet.service", "/dev/null")
    assert "systemctl unmask" in run("Service-kubelet", root).message
    (root / "etc/systemd/system/kubelet.service").unlink()
    (root / "lib/systemd/system/kubelet.service").unlink()
    assert run("Service-kubelet", root).message == "kubelet service does not exist"
    (root / "usr/bin/systemctl").unlink()
    assert "no supported init system" in run("Service-kubelet", root).message


def test_files_and_dirs_available(run: Run, root: Path) -> None:
    write(root, "etc/kubernetes/manifests/etcd.yaml", "kind: Pod\n")
    result = run("FileAvailable--etc-kubernetes-manifests-etcd.yaml", root)
    assert result.message == "/etc/kubernetes/manifests/etcd.yaml already exists"
    (root / "var/lib/etcd").mkdir()
    assert run("DirAvailable--var-lib-etcd", root).status is Status.PASS
    write(root, "var/lib/etcd/member/snap/db", "x")
    assert run("DirAvailable--var-lib-etcd", root).message == "/var/lib/etcd is not empty"


def test_hostname_under_root_uses_its_hosts_file(run: Run, root: Path) -> None:
    assert run("Hostname", root).details["addresses"] == ["10.0.2.15"]
    write(root, "etc/hosts", "127.0.0.1 localhost\n")
    assert run("Hostname", root).message.startswith("cannot determine")
    assert run("Hostname", root, node_name="Bad_Name").status is Status.WARN


def test_beyond_checks_on_a_poor_host(run: Run, root: Path) -> None:
    write(root, "proc/net/route", (FABRICATED / "net-route-no-default").read_text())
    write(root, "etc/resolv.conf", (FABRICATED / "resolv.conf-resolved").read_text())
    write(root, "etc/machine-id", "uninitialized\n")
    write(root, "proc/sys/fs/inotify/max_user_instances", "128\n")
    write(root, "proc/sys/net/bridge/bridge-nf-call-iptables", "0\n")
    containerd = (FABRICATED / "containerd-config-v3.toml").read_text()
    write(root, "etc/containerd/config.toml", containerd)
    (root / "proc/modules").unlink()
    write(root, "proc/filesystems", "nodev\tproc\n")
    write(root, f"boot/config-{RELEASE}", "CONFIG_OVERLAY_FS=n\nCONFIG_BRIDGE_NETFILTER=m\n")
    expected = {
        "DefaultRoute": Status.FAIL,
        "ResolvConf": Status.WARN,
        "MachineID": Status.WARN,
        "Inotify": Status.WARN,
        "CgroupDriver": Status.WARN,
        "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables": Status.WARN,
        "KernelModule-overlay": Status.WARN,
        "KernelModule-br_netfilter": Status.PASS,
    }
    assert {i: run(i, root).status for i in expected} == expected


def test_module_evidence_from_modules_builtin_and_dep(run: Run, root: Path) -> None:
    (root / "proc/modules").unlink()
    (root / "proc/sys/net/bridge").rename(root / "proc/sys/net/bridge-off")
    write(root, "proc/filesystems", "nodev\tproc\n")
    write(root, f"boot/config-{RELEASE}", "CONFIG_OVERLAY_FS=m\nCONFIG_BRIDGE_NETFILTER=m\n")
    write(root, f"lib/modules/{RELEASE}/modules.dep", (FABRICATED / "modules.dep").read_text())
    write(root, f"lib/modules/{RELEASE}/modules.builtin", "kernel/fs/ext4/ext4.ko\n")
    assert "can be loaded" in run("KernelModule-overlay", root).message
    write(
        root, f"lib/modules/{RELEASE}/modules.builtin", (FABRICATED / "modules.builtin").read_text()
    )
    assert "built into" in run("KernelModule-br_netfilter", root).message


def test_nothing_is_written_under_the_root(run: Run, root: Path) -> None:
    def snapshot() -> dict[str, float]:
        return {str(p): p.lstat().st_mtime for p in root.rglob("*")}

    before = snapshot()
    run_all(run, root)
    assert snapshot() == before
    assert os.listdir(root / "sys/fs/cgroup/init.scope") == ["cgroup.freeze"]  # no temp cgroup


def test_disk_space_is_measured_inside_the_root_or_not_at_all(run: Run, root: Path) -> None:
    measured = run("DiskSpace--var-lib", root)
    assert measured.status is Status.PASS and measured.details["path"] == "/var/lib"
    mountinfo = (root / "proc/self/mountinfo").read_text()
    write(
        root,
        "proc/self/mountinfo",
        mountinfo + "99 1 8:3 / /var rw,relatime shared:9 - ext4 /dev/sda3 rw\n",
    )
    hidden = run("DiskSpace--var-lib", root)  # the host's /var is not mounted in this view
    assert hidden.status is Status.WARN and hidden.details["mountpoint"] == "/var"
    assert hidden.message.startswith("cannot determine")
    (root / "proc/self/mountinfo").write_text(mountinfo)
    (root / "var/lib").rmdir()
    absent = run("DiskSpace--var-lib", root)
    assert absent.status is Status.WARN and "the root has no /var/lib" in absent.message


def test_swap_without_proc_swaps_is_cannot_determine(run: Run, root: Path) -> None:
    (root / "proc/swaps").unlink()
    result = run("Swap", root)
    assert result.status is Status.WARN and result.message.startswith("cannot determine")
