"""The pure parts of a kubeadm-driven cluster: the node's mounts, the kubelet unit's arguments,
the kubeadm configuration (one control plane and several), the load balancer's, the
control-plane images, redaction, where the host sees a node's files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bootstrap.kubeadmrun import (
    balancer,
    commands,
    containerdcfg,
    cpimages,
    kubeadmconfig,
    kubeletunit,
)
from bootstrap.kubeadmrun.machine import Machine, kill_namespace, mount_namespace
from bootstrap.kubeadmrun.nodefs import (
    MS_BIND,
    MS_RDONLY,
    MS_REMOUNT,
    mountinfo,
    node_mounts,
    to_detach,
)
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.redact import MASK

MOUNTINFO = """\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
22 27 0:21 / /proc rw,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
45 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw
46 45 0:4 net:[4026532] /run/netns/cni-1234 rw - nsfs nsfs rw
47 27 0:50 / /var/lib/kubeadm-verify/abc123/n1/kubelet/pods/x/volumes/y rw - tmpfs tmpfs rw
48 27 0:51 / /srv/kubeadm-verify/def456/n0/containerd/rootfs rw - overlay overlay rw
49 27 0:52 / /mnt/with\\040space rw - overlay overlay rw
50 27 0:53 / /mnt/sandboxing/tools ro - tmpfs tools ro
"""


def test_the_holder_detaches_other_clusters_mounts_deepest_first() -> None:
    detached = to_detach(mountinfo(MOUNTINFO))
    assert "/" not in detached and "/proc" not in detached and "/sys/fs/cgroup" not in detached
    assert "/mnt/sandboxing/tools" not in detached
    assert "/run/netns/cni-1234" in detached and "/run/netns" in detached
    assert detached.index("/run/netns/cni-1234") < detached.index("/run/netns")
    assert "/mnt/with space" in detached  # an overlay anywhere: a container's root filesystem
    assert "/var/lib/kubeadm-verify/abc123/n1/kubelet/pods/x/volumes/y" in detached


def test_a_node_overlays_etc_usr_var_opt_and_binds_its_containerd_root() -> None:
    mounts = node_mounts(Path("/srv/kubeadm-verify/abc123/n0"), "/usr/lib/cni")
    overlays = {m.target: m.data for m in mounts if m.fstype == "overlay"}
    assert set(overlays) == {"/etc", "/usr", "/var", "/opt"}
    assert "upperdir=/srv/kubeadm-verify/abc123/n0/var/upper" in overlays["/var"]
    assert {m.target for m in mounts if m.fstype == "tmpfs"} == {"/run", "/tmp"}
    binds = [m for m in mounts if m.flags & MS_BIND]
    assert binds[0].source.endswith("/n0/containerd") and binds[0].target == "/var/lib/containerd"
    assert (
        binds[-1].flags == MS_BIND | MS_REMOUNT | MS_RDONLY and binds[-1].target == "/opt/cni/bin"
    )
    targets = [m.target for m in mounts]
    assert targets.index("/var") < targets.index("/var/lib/containerd")


def test_the_host_sees_a_node_file_in_its_upper_dir() -> None:
    machine = Machine(Path("/srv/kubeadm-verify/abc123/n0"), "kvc-abc123-n0")
    assert machine.host_view("/etc/kubernetes/admin.conf") == Path(
        "/srv/kubeadm-verify/abc123/n0/etc/upper/kubernetes/admin.conf"
    )
    with pytest.raises(ValueError, match="not under"):
        machine.host_view("/root/.kube/config")


def test_the_kubelet_unit_runs_the_drop_in_s_command_line() -> None:
    env = (
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/'
        'containerd.sock --node-ip=10.0.0.2"\n'
    )
    argv = kubeletunit.kubelet_argv("/opt/bin/kubelet", env)
    assert argv == [
        "/opt/bin/kubelet",
        "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
        "--kubeconfig=/etc/kubernetes/kubelet.conf",
        "--config=/var/lib/kubelet/config.yaml",
        "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
        "--node-ip=10.0.0.2",
    ]
    assert kubeletunit.kubeadm_flags("OTHER=1\n") == []
    root = Path("/srv/kubeadm-verify/abc123/n1")
    assert kubeletunit.host_view(root, kubeletunit.FLAGS_ENV) == Path(
        "/srv/kubeadm-verify/abc123/n1/var/upper/lib/kubelet/kubeadm-flags.env"
    )
    assert kubeletunit.enter_argv("/usr/bin/nsenter", "42")[:3] == ["/usr/bin/nsenter", "-t", "42"]


def test_init_config_is_what_a_user_would_write() -> None:
    text = kubeadmconfig.init_config(
        name="kvc-abc123-n0",
        address="10.213.1.254",
        version="v1.37.2",
        pod_subnet="10.245.0.0/16",
        service_subnet="10.96.0.0/12",
        token="abcdef.0123456789abcdef",
        kubelet=kubeadmconfig.machine_kubelet_settings(cgroup_v1=True, systemd=False),
    )
    init, cluster, kubelet = yaml.safe_load_all(text)
    assert init["kind"] == "InitConfiguration"
    registration = init["nodeRegistration"]
    assert registration["imagePullPolicy"] == "Never"
    assert registration["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert registration["ignorePreflightErrors"] == ["SystemVerification"]
    assert init["bootstrapTokens"][0]["token"] == "abcdef.0123456789abcdef"
    assert init["localAPIEndpoint"] == {"advertiseAddress": "10.213.1.254", "bindPort": 6443}
    assert cluster["networking"]["podSubnet"] == "10.245.0.0/16"
    assert cluster["kubernetesVersion"] == "v1.37.2"
    # each Node's pod CIDR is its network's (podcidr), never one node IPAM hands out
    assert cluster["controllerManager"]["extraArgs"] == [
        {"name": "allocate-node-cidrs", "value": "false"}
    ]
    assert kubelet["kind"] == "KubeletConfiguration"
    assert kubelet["failCgroupV1"] is False and kubelet["cgroupDriver"] == "cgroupfs"
    assert kubelet["evictionHard"]["nodefs.available"] == "0%"


def test_only_named_preflight_errors_are_ignored_each_with_a_reason() -> None:
    assert set(kubeadmconfig.IGNORED_PREFLIGHT_ERRORS) == {"SystemVerification"}
    assert all(len(reason) > 40 for reason in kubeadmconfig.IGNORED_PREFLIGHT_ERRORS.values())
    assert "all" not in {n.lower() for n in kubeadmconfig.IGNORED_PREFLIGHT_ERRORS}


def test_a_worker_joins_by_token_with_the_ca_pinned() -> None:
    join = yaml.safe_load(
        kubeadmconfig.join_config(
            name="kvc-abc123-n1",
            endpoint="10.213.1.254:6443",
            token="abcdef.0123456789abcdef",
            ca_hash="sha256:" + "0" * 64,
        )
    )
    discovery = join["discovery"]["bootstrapToken"]
    assert discovery["caCertHashes"] == ["sha256:" + "0" * 64]
    assert discovery["apiServerEndpoint"] == "10.213.1.254:6443"
    assert "unsafeSkipCAVerification" not in discovery
    assert join["nodeRegistration"]["imagePullPolicy"] == "Never"
    assert yaml.safe_load(kubeadmconfig.kubelet_patch("/kvn-abc123-n1")) == {
        "cgroupRoot": "/kvn-abc123-n1"
    }


def test_containerd_keeps_the_closed_registry() -> None:
    config = containerdcfg.config_toml(Path("/usr/sbin/runc"), restrict_oom=True)
    assert 'config_path = "/etc/containerd/certs.d"' in config
    assert "restrict_oom_score_adj = true" in config
    assert 'server = "https://127.0.0.1:1"' in containerdcfg.hosts_toml()


def test_control_plane_images_are_built_for_what_kubeadm_lists(tmp_path: Path) -> None:
    listed = [
        "registry.k8s.io/kube-apiserver:v1.37.2",
        "registry.k8s.io/kube-controller-manager:v1.37.2",
        "registry.k8s.io/kube-scheduler:v1.37.2",
        "registry.k8s.io/kube-proxy:v1.37.2",
        "registry.k8s.io/coredns/coredns:v1.14.6",
        "registry.k8s.io/pause:3.10.2",
        "registry.k8s.io/etcd:3.7.0-0",
    ]
    specs = cpimages.control_plane_specs(listed, tmp_path)
    assert [spec.tags[0] for spec in specs] == [listed[0], listed[1], listed[2], listed[6]]
    assert specs[0].entries[0].path == "/usr/local/bin/kube-apiserver"
    assert cpimages.unprovided(listed, "v1.37.2") == []
    assert cpimages.unprovided([*listed, "registry.k8s.io/other:1"], "v1.37.2") == [
        "registry.k8s.io/other:1"
    ]


def test_output_is_redacted_before_it_is_logged(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    secret = "abcdef.0123456789abcdef"
    with pytest.raises(BootstrapError) as raised:
        commands.run_logged(
            ["/bin/sh", "-c", f"echo joining with {secret}; exit 3"],
            log,
            10,
            what="a command",
            secrets=[secret],
        )
    assert secret not in str(raised.value) and secret not in log.read_text()
    assert MASK in log.read_text() and "exit 3" in log.read_text()


def test_a_command_past_its_deadline_is_killed(tmp_path: Path) -> None:
    with pytest.raises(BootstrapError, match="did not finish within 1s"):
        commands.run_logged(["/bin/sleep", "30"], tmp_path / "out.log", 1, what="sleep")


def test_our_own_mount_namespace_is_never_killed() -> None:
    import os

    with pytest.raises(BootstrapError, match="our own mount namespace"):
        kill_namespace(mount_namespace(os.getpid()))


def test_several_control_planes_share_certificates_behind_an_endpoint() -> None:
    text = kubeadmconfig.init_config(
        name="kvc-abc123-n0",
        address="10.213.1.254",
        version="v1.37.2",
        pod_subnet="10.245.0.0/16",
        service_subnet="10.96.0.0/12",
        token="abcdef.0123456789abcdef",
        kubelet={},
        control_plane_endpoint="10.213.1.2:6443",
        certificate_key="ab" * 32,
    )
    init, cluster, _ = yaml.safe_load_all(text)
    assert init["certificateKey"] == "ab" * 32
    assert cluster["controlPlaneEndpoint"] == "10.213.1.2:6443"
    join = yaml.safe_load(
        kubeadmconfig.join_config(
            name="kvc-abc123-n1",
            endpoint="10.213.1.2:6443",
            token="abcdef.0123456789abcdef",
            ca_hash="sha256:" + "0" * 64,
            control_plane=("10.213.1.6", "ab" * 32),
        )
    )
    assert join["controlPlane"] == {
        "localAPIEndpoint": {"advertiseAddress": "10.213.1.6", "bindPort": 6443},
        "certificateKey": "ab" * 32,
    }


def test_one_control_plane_has_no_endpoint_nor_certificate_key() -> None:
    text = kubeadmconfig.init_config(
        name="n0",
        address="10.0.0.2",
        version="v1.37.2",
        pod_subnet="10.245.0.0/16",
        service_subnet="10.96.0.0/12",
        token="abcdef.0123456789abcdef",
        kubelet={},
    )
    init, cluster, _ = yaml.safe_load_all(text)
    assert "certificateKey" not in init and "controlPlaneEndpoint" not in cluster
    assert "controlPlane" not in yaml.safe_load(
        kubeadmconfig.join_config(name="n1", endpoint="e:6443", token="t", ca_hash="h")
    )


def test_the_balancer_checks_every_api_server() -> None:
    text = balancer.config("10.213.1.2", [("n0", "10.213.1.254"), ("n1", "10.213.1.6")])
    assert "bind 10.213.1.2:6443" in text and "mode tcp" in text
    assert "option httpchk GET /livez" in text
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server")]
    checked = [words for words in servers if "backup" not in words]
    assert [words[1:3] for words in checked] == [
        ["n0", "10.213.1.254:6443"],
        ["n1", "10.213.1.6:6443"],
    ]
    assert all("check-ssl" in words for words in checked)


def test_the_balancer_fails_open_when_no_api_server_passes() -> None:
    """Every API server is also an unchecked backup (used only while none passes), and a
    refused connection is tried again elsewhere."""
    text = balancer.config("10.213.1.2", [("n0", "10.213.1.254"), ("n1", "10.213.1.6")])
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server")]
    backups = [words for words in servers if "backup" in words]
    assert [words[2] for words in backups] == ["10.213.1.254:6443", "10.213.1.6:6443"]
    assert not any("check" in words for words in backups)
    assert "option allbackups" in text and "option redispatch 1" in text
