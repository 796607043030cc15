"""The catalogue's order and ids, ``--config`` handling, versions and proxy rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubeadm_verify.cli import main
from nodechecks.checks import REGISTRY
from nodechecks.proxy import proxy_for
from nodechecks.versions import Version, parse_kubelet_version

KUBEADM_INIT_ORDER = [
    "IsPrivilegedUser",
    "NumCPU",
    "Mem",
    "KubernetesVersion",
    "Firewalld",
    "Port-6443",
    "Port-10259",
    "Port-10257",
    "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml",
    "FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml",
    "FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml",
    "FileAvailable--etc-kubernetes-manifests-etcd.yaml",
    "HTTPProxy",
    "HTTPProxyCIDR",
    "CRI",
    "ContainerRuntimeVersion",
    "Swap",
    "FileExisting-conntrack",
    "FileExisting-losetup",
    "FileExisting-mount",
    "FileExisting-cp",
    "SystemVerification",
    "Hostname",
    "KubeletVersion",
    "Service-kubelet",
    "Port-10250",
    "FileContent--proc-sys-net-ipv4-ip_forward",
    "FileContent--proc-sys-net-ipv6-conf-default-forwarding",
    "ExternalEtcdVersion",
    "Port-2379",
    "Port-2380",
    "DirAvailable--var-lib-etcd",
    "ExternalEtcdClientCertificates",
    "ImagePull",
]
KUBEADM_JOIN_ORDER = [
    "FileAvailable--etc-kubernetes-kubelet.conf",
    "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf",
    "CRI",
    "Swap",
    "SystemVerification",
    "Port-10250",
    "FileAvailable--etc-kubernetes-pki-ca.crt",
    "FileContent--proc-sys-net-ipv4-ip_forward",
]
BEYOND = [
    "KernelModule-br_netfilter",
    "KernelModule-overlay",
    "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables",
    "InPath-iptables",
    "CgroupDriver",
    "DefaultRoute",
    "TimeSync",
    "ResolvConf",
    "MachineID",
    "Inotify",
    "PidMax",
    "DiskSpace--var-lib",
]


def test_kubeadm_init_and_join_orders_are_kept() -> None:
    ids = REGISTRY.ids()
    assert [i for i in ids if i in KUBEADM_INIT_ORDER] == KUBEADM_INIT_ORDER
    assert [i for i in ids if i in KUBEADM_JOIN_ORDER] == KUBEADM_JOIN_ORDER
    assert ids[-len(BEYOND) :] == BEYOND
    assert len({i.lower() for i in ids}) == len(ids)


def test_every_check_declares_its_origin() -> None:
    origins = {check.id: check.origin for check in REGISTRY}
    assert {i for i, o in origins.items() if o == "beyond"} == set(BEYOND)
    assert {i for i, o in origins.items() if o == "kubeadm"} == set(KUBEADM_INIT_ORDER) | set(
        KUBEADM_JOIN_ORDER
    ) | {
        "FileAvailable--etc-kubernetes-kubelet.conf",
        "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf",
        "FileAvailable--etc-kubernetes-pki-ca.crt",
    }
    # kubeadm v1.32/v1.33 dropped these; they are not kubeadm ids any more
    dropped = {
        f"FileExisting-{n}"
        for n in ("ip", "iptables", "nsenter", "ebtables", "ethtool", "socat", "tc", "touch")
    }
    assert not dropped & set(origins)


def test_every_check_says_why_in_its_docstring() -> None:
    assert all(check.summary for check in REGISTRY)


INIT_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.2.15
  bindPort: 8443
nodeRegistration:
  name: cp-1
  ignorePreflightErrors: [Port-8443, Swap]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.1
networking:
  serviceSubnet: 10.96.0.0/12,fd00:10:96::/112
  podSubnet: 10.244.0.0/16,fd00:10:244::/56
"""

JOIN_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "[fd00::10]:6443"
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
nodeRegistration:
  name: worker-1
"""


def run_json(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, dict[str, Any]]]:
    code = main(args)
    return code, {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}


def test_config_file_drives_ids_families_and_ignores(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bootstrap.kubeadm.config")
    config = tmp_path / "kubeadm.yaml"
    config.write_text(INIT_CONFIG)
    tcp = (root / "proc/net/tcp").read_text() + (
        "   1: 00000000:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
        "        0 1 1 0000000000000000 100 0 0 10 0\n"
    )
    (root / "proc/net/tcp").write_text(tcp)
    (root / "etc/hosts").write_text("10.0.2.15 cp-1\n")
    code, checks = run_json(
        [
            "node",
            "--root",
            str(root),
            "--config",
            str(config),
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert code == 0
    assert "Port-6443" not in checks
    assert checks["Port-8443"]["status"] == "warn" and checks["Port-8443"]["details"]["ignored"]
    ipv6 = checks["FileContent--proc-sys-net-ipv6-conf-default-forwarding"]
    assert ipv6["status"] == "pass"  # a dual-stack cluster checks IPv6 forwarding too
    assert checks["Hostname"]["details"]["name"] == "cp-1"
    assert "IgnorePreflightErrors" not in checks  # both names are known


def test_join_configuration_means_worker(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bootstrap.kubeadm.config")
    config = tmp_path / "join.yaml"
    config.write_text(JOIN_CONFIG)
    (root / "etc/hosts").write_text("10.0.2.16 worker-1\n")
    code, checks = run_json(
        [
            "node",
            "--root",
            str(root),
            "--config",
            str(config),
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert code == 0
    assert checks["NumCPU"]["status"] == "skip"
    assert checks["FileAvailable--etc-kubernetes-pki-ca.crt"]["status"] == "pass"
    # the API server it joins is IPv6, so IPv6 forwarding is checked and IPv4's is not
    assert checks["FileContent--proc-sys-net-ipv6-conf-default-forwarding"]["status"] == "pass"
    assert checks["FileContent--proc-sys-net-ipv4-ip_forward"]["status"] == "skip"


EXTERNAL_ETCD_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/kvnode/cri.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
etcd:
  external:
    endpoints: ["https://10.0.0.9:2379"]
    caFile: /etc/kvnode/etcd-ca.crt
    certFile: /etc/kvnode/etcd.crt
    keyFile: /etc/kvnode/etcd.key
"""


def test_external_etcd_and_cri_socket_reach_the_checks(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bootstrap.kubeadm.config")
    config = tmp_path / "external.yaml"
    config.write_text(EXTERNAL_ETCD_CONFIG)
    (root / "etc/kvnode").mkdir(parents=True)
    (root / "etc/kvnode/etcd-ca.crt").write_text("x")
    (root / "var/lib/etcd").mkdir()
    (root / "var/lib/etcd/member").write_text("an old etcd")  # not ours to judge: external etcd
    code, checks = run_json(
        [
            "node",
            "--root",
            str(root),
            "--config",
            str(config),
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    for local in ("Port-2379", "Port-2380", "DirAvailable--var-lib-etcd"):
        assert checks[local]["status"] == "skip", local
    certificates = checks["ExternalEtcdClientCertificates"]
    assert certificates["status"] == "fail" and certificates["details"]["missing"] == [
        "/etc/kvnode/etcd.crt",
        "/etc/kvnode/etcd.key",
    ]
    assert code == 1
    assert "unsupported field" not in capsys.readouterr().err  # both fields are used


def test_cri_socket_from_the_config_is_the_one_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bootstrap.kubeadm.config")
    config = tmp_path / "external.yaml"
    config.write_text(EXTERNAL_ETCD_CONFIG)
    main(["node", "--config", str(config), "--format", "json", "--output-dir", str(tmp_path / "r")])
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert "unix:///run/kvnode/cri.sock" in checks["CRI"]["message"] + json.dumps(
        checks["CRI"]["details"]
    )


def test_unreadable_config_is_a_start_failure(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bootstrap.kubeadm.config")
    out = tmp_path / "r"
    code = main(
        [
            "node",
            "--root",
            str(root),
            "--config",
            str(tmp_path / "missing.yaml"),
            "--output-dir",
            str(out),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
    report = json.loads((out / "node/results.json").read_text())
    assert [c["status"] for c in report["checks"]] == ["error"]


def test_versions() -> None:
    assert Version.parse("1.35.0-0") < Version.parse("v1.35.0-alpha.1") < Version.parse("1.35.0")
    assert Version.parse("1.9.0") < Version.parse("1.10.0")
    assert Version.parse("v1.37.2+abc").at_least("1.37.2")
    assert str(parse_kubelet_version("Kubernetes v1.37.2\n")) == "v1.37.2"
    with pytest.raises(ValueError):
        parse_kubelet_version("kubelet version 1.37")
    with pytest.raises(ValueError):
        Version.parse("1.37")


@pytest.mark.parametrize(
    ("host", "no_proxy", "proxied"),
    [
        ("10.96.0.1", "", True),
        ("10.96.0.1", "*", False),
        ("10.96.0.1", "10.96.0.0/12", False),
        ("10.96.0.1", "10.96.0.1", False),
        ("api.example.com", ".example.com", False),
        ("api.example.com", "example.com", False),
        ("example.org", "example.com", True),
        ("localhost", "", False),
        ("::1", "", False),
        ("fd00::1", "fd00::/8", False),
        ("10.96.0.1", "10.96.0.1:1234", False),
        ("10.96.0.1", "10.96.0.1:443", True),
    ],
)
def test_proxy_rules(host: str, no_proxy: str, proxied: bool) -> None:
    env = {"https_proxy": "http://proxy:3128", "no_proxy": no_proxy}
    assert bool(proxy_for("https", host, "1234", env)) is proxied
    assert proxy_for("https", host, "1234", {}) == ""


def test_external_etcd_and_cri_socket_are_read_with_the_file_and_refused_as_kubeadm_does(
    tmp_path: Path,
) -> None:
    """The one reader of the file (bootstrap's, kubeadm's rules) carries both into the settings."""
    from kubeadm_verify.errors import VerifyError
    from kubeadm_verify.nodesettings import ExternalEtcd, NodeSettings
    from nodechecks.configure import node_settings

    config = tmp_path / "kubeadm.yaml"

    def settings_of(text: str) -> NodeSettings:
        config.write_text(text)
        return node_settings(root=str(tmp_path), config=str(config))

    settings = settings_of(EXTERNAL_ETCD_CONFIG)
    assert settings.cri_socket == "unix:///run/kvnode/cri.sock"
    assert settings.etcd == ExternalEtcd(
        ("https://10.0.0.9:2379",),
        "/etc/kvnode/etcd-ca.crt",
        "/etc/kvnode/etcd.crt",
        "/etc/kvnode/etcd.key",
    )
    assert settings_of(INIT_CONFIG).etcd == ExternalEtcd()
    no_endpoints = EXTERNAL_ETCD_CONFIG.replace('["https://10.0.0.9:2379"]', "[]")
    with pytest.raises(VerifyError, match="at least one endpoint must be specified"):
        settings_of(no_endpoints)
    with pytest.raises(VerifyError, match="criSocket"):
        settings_of(EXTERNAL_ETCD_CONFIG.replace("unix:///run/kvnode/cri.sock", "[1]"))
