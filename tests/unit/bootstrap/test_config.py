"""Reading kubeadm's v1beta4 files: defaults, both extraArgs forms, warnings and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bootstrap.kubeadm.config import load_config, node_registration_from_file, parse_config
from bootstrap.kubeadm.configfields import format_duration, parse_duration
from bootstrap.kubeadm.configtypes import EncryptionAlgorithm, ExtraArg, LocalPorts
from kubeadm_verify.errors import InputError, UsageError

HEADER = "apiVersion: kubeadm.k8s.io/v1beta4\n"
INIT = HEADER + "kind: InitConfiguration\n"
CLUSTER = HEADER + "kind: ClusterConfiguration\n"
JOIN = HEADER + "kind: JoinConfiguration\n"


def test_no_file_means_kubeadms_defaults() -> None:
    config = load_config(None).config
    cluster = config.cluster
    assert cluster.kubernetes_version == "v1.37.2"
    assert cluster.networking.service_subnet == "10.96.0.0/12"
    assert cluster.networking.dns_domain == "cluster.local"
    assert str(cluster.networking.api_server_virtual_ip) == "10.96.0.1"
    assert str(cluster.networking.dns_ip) == "10.96.0.10"
    assert cluster.certificate_validity == timedelta(days=365)
    assert cluster.ca_certificate_validity == timedelta(days=3650)
    assert cluster.encryption_algorithm is EncryptionAlgorithm.RSA_2048
    assert (config.endpoint.advertise_address, config.endpoint.bind_port) == ("127.0.0.1", 6443)
    assert config.ports == LocalPorts(2379, 2380, 2381, 10257, 10259)
    assert config.role == "control-plane"
    assert config.node.name
    [token] = config.bootstrap_tokens
    assert token.ttl == timedelta(hours=24)
    assert token.groups == ("system:bootstrappers:kubeadm:default-node-token",)
    assert token.usages == ("signing", "authentication")


def test_the_supported_subset_is_read() -> None:
    text = (
        INIT
        + """\
localAPIEndpoint: {advertiseAddress: "192.0.2.1", bindPort: 0}
nodeRegistration: {name: cp-1, ignorePreflightErrors: [NumCPU, Swap, NumCPU]}
bootstrapTokens:
- {token: abcdef.0123456789abcdef, ttl: 1h30m, description: mine, groups: [system:bootstrappers:x]}
---
"""
        + CLUSTER
        + """\
kubernetesVersion: 1.36.1
networking: {serviceSubnet: 10.100.0.0/16, podSubnet: 10.244.0.0/16, dnsDomain: example.test}
apiServer: {certSANs: [api.example.test, 203.0.113.9]}
certificateValidityPeriod: 48h
caCertificateValidityPeriod: 87600h0m0s
encryptionAlgorithm: ECDSA-P384
"""
    )
    loaded = parse_config(text)
    config = loaded.config
    assert loaded.warnings == ()
    assert config.cluster.kubernetes_version == "v1.36.1"
    assert config.cluster.networking.pod_subnet == "10.244.0.0/16"
    assert str(config.cluster.networking.dns_ip) == "10.100.0.10"
    assert config.cluster.api_server_cert_sans == ("api.example.test", "203.0.113.9")
    assert config.cluster.certificate_validity == timedelta(hours=48)
    assert config.cluster.encryption_algorithm is EncryptionAlgorithm.ECDSA_P384
    assert config.endpoint.url == "https://192.0.2.1:0"
    assert config.node.name == "cp-1"
    assert config.node.ignore_preflight_errors == ("NumCPU", "Swap")
    [token] = config.bootstrap_tokens
    assert (token.token, token.ttl, token.description) == (
        "abcdef.0123456789abcdef",
        timedelta(minutes=90),
        "mine",
    )
    assert "abcdef" not in repr(config)


def test_extra_args_are_v1beta4_lists_and_names_may_repeat() -> None:
    text = (
        CLUSTER
        + """\
apiServer:
  extraArgs:
  - {name: feature-gates, value: A=true}
  - {name: feature-gates, value: B=false}
etcd: {local: {extraArgs: [{name: quota-backend-bytes, value: "8589934592"}]}}
scheduler: {extraArgs: []}
"""
    )
    cluster = parse_config(text).config.cluster
    assert cluster.api_server_extra_args == (
        ExtraArg("feature-gates", "A=true"),
        ExtraArg("feature-gates", "B=false"),
    )
    assert cluster.etcd_extra_args == (ExtraArg("quota-backend-bytes", "8589934592"),)
    assert cluster.scheduler_extra_args == ()


def test_the_v1beta3_map_form_of_extra_args_is_refused_as_kubeadm_does() -> None:
    with pytest.raises(UsageError, match=r"controllerManager\.extraArgs: expected a list"):
        parse_config(CLUSTER + "controllerManager: {extraArgs: {v: '4'}}\n")


def test_fields_kubeadm_knows_but_we_do_not_use_are_warned_by_name() -> None:
    text = (
        INIT
        + "dryRun: true\nnodeRegistration: {criSocket: unix:///x}\n---\n"
        + CLUSTER
        + """\
imageRepository: mirror.example
apiServer: {extraVolumes: []}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
"""
    )
    loaded = parse_config(text)
    named = " ".join(loaded.warnings)
    for field in (
        "InitConfiguration.dryRun",
        "ClusterConfiguration.imageRepository",
        "ClusterConfiguration.apiServer.extraVolumes",
        "KubeletConfiguration",
    ):
        assert field in named
    assert len(loaded.warnings) == 4
    assert loaded.config.node.cri_socket == "unix:///x"


@pytest.mark.parametrize(
    "text",
    [
        CLUSTER + "apiServer: {timeoutForControlPlane: 4m}\n",
        CLUSTER + "apiServer: {extraArgs: [{name: v, value: '1', extra: 1}]}\n",
        INIT + "bogus: 1\n",
        JOIN + "discovery: {bootstrapToken: {tokn: x}}\n",
    ],
)
def test_fields_kubeadm_does_not_know_are_errors(text: str) -> None:
    with pytest.raises(UsageError, match="unknown field"):
        parse_config(text)


def test_cri_socket_and_external_etcd_are_carried() -> None:
    text = (
        INIT
        + "nodeRegistration: {criSocket: /run/containerd/containerd.sock}\n---\n"
        + CLUSTER
        + """\
etcd:
  external:
    endpoints: [https://192.0.2.5:2379]
    caFile: /etc/etcd/ca.crt
    certFile: /etc/etcd/client.crt
    keyFile: /etc/etcd/client.key
"""
    )
    config = parse_config(text).config
    assert config.node.cri_socket == "unix:///run/containerd/containerd.sock"
    external = config.cluster.etcd_external
    assert external is not None and external.endpoints == ("https://192.0.2.5:2379",)
    assert (external.ca_file, external.key_file) == ("/etc/etcd/ca.crt", "/etc/etcd/client.key")
    assert parse_config(CLUSTER).config.cluster.etcd_external is None


def test_invalid_cert_sans_are_kept_but_warned() -> None:
    loaded = parse_config(CLUSTER + "apiServer: {certSANs: ['a b', ok.example]}\n")
    assert loaded.config.cluster.api_server_cert_sans == ("a b", "ok.example")
    assert loaded.warnings == (
        "ClusterConfiguration.apiServer.certSANs: 'a b' is not a valid IP "
        "or RFC-1123 DNS name, it will not be added to the apiserver "
        "certificate",
    )


def test_local_ports_come_from_our_own_document_and_secure_port_extra_args() -> None:
    text = (
        CLUSTER
        + "scheduler: {extraArgs: [{name: secure-port, value: '10300'}]}\n---\n"
        + """\
apiVersion: kubeadm-verify/v1alpha1
kind: LocalClusterConfiguration
ports: {etcdClient: 0, etcdPeer: 12380, controllerManager: 0}
"""
    )
    loaded = parse_config(text)
    assert loaded.warnings == ()
    assert loaded.config.ports == LocalPorts(0, 12380, 2381, 0, 10300)


def test_conflicting_secure_ports_are_refused() -> None:
    text = (
        CLUSTER
        + "scheduler: {extraArgs: [{name: secure-port, value: '10300'}]}\n---\n"
        + """\
apiVersion: kubeadm-verify/v1alpha1
kind: LocalClusterConfiguration
ports: {scheduler: 0}
"""
    )
    with pytest.raises(UsageError, match="disagree"):
        parse_config(text)


def test_a_join_configuration_is_a_worker_unless_it_has_control_plane(tmp_path: Path) -> None:
    worker = tmp_path / "worker.yaml"
    worker.write_text(
        JOIN
        + """\
nodeRegistration: {name: w-1, ignorePreflightErrors: [all]}
discovery:
  bootstrapToken:
    token: abcdef.0123456789abcdef
    apiServerEndpoint: 192.0.2.1:6443
    caCertHashes: ["sha256:"""
        + "a" * 64
        + """"]
"""
    )
    assert node_registration_from_file(worker) == ("worker", ("all",))
    discovery = load_config(worker).config.discovery
    assert discovery is not None and discovery.api_server_endpoint == "192.0.2.1:6443"
    control_plane = tmp_path / "cp.yaml"
    control_plane.write_text(
        JOIN + "controlPlane: {localAPIEndpoint: {advertiseAddress: 192.0.2.2}}\n"
    )
    role, ignored = node_registration_from_file(control_plane)
    assert (role, ignored) == ("control-plane", ())
    init = tmp_path / "init.yaml"
    init.write_text(INIT + "nodeRegistration: {ignorePreflightErrors: [Mem]}\n")
    assert node_registration_from_file(init) == ("control-plane", ("Mem",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            INIT + "nodeRegistration: [a]\n",
            r"InitConfiguration\.nodeRegistration: expected a mapping",
        ),
        (INIT + "localAPIEndpoint: {bindPort: '6443'}\n", r"bindPort: expected an integer"),
        (INIT + "localAPIEndpoint: {bindPort: 70000}\n", r"70000 is not a port"),
        (INIT + "localAPIEndpoint: {advertiseAddress: example.test}\n", "is not an IP address"),
        (CLUSTER + "networking: {serviceSubnet: 10.96.0.0/99}\n", "is not a CIDR"),
        (CLUSTER + "encryptionAlgorithm: DSA\n", "is not one of RSA-2048"),
        (CLUSTER + "certificateValidityPeriod: 1y\n", "is not a duration"),
        (CLUSTER + "kubernetesVersion: stable\n", "is not an exact version"),
        (CLUSTER + "controllerManager: {extraArgs: {v: 4}}\n", "expected a list"),
        (CLUSTER + "kubernetesVersion: v1.30.0\n", r"control plane version >= 1\.36\.0"),
        (INIT + "nodeRegistration: {criSocket: 'unixgram:///x'}\n", "only URL scheme 'unix'"),
        (
            CLUSTER + "etcd: {local: {}, external: {endpoints: [https://a:1]}}\n",
            "mutually exclusive",
        ),
        (CLUSTER + "etcd: {external: {endpoints: []}}\n", "at least one endpoint"),
        (CLUSTER + "etcd: {external: {endpoints: [https://a:1], certFile: /c}}\n", "both or none"),
        (CLUSTER + "etcd: {external: {endpoints: [http://a:1], caFile: /ca}}\n", "HTTPS scheme"),
        (CLUSTER + "etcd: {external: {endpoints: [192.0.2.5:2379]}}\n", "without scheme"),
        (CLUSTER + "apiServer: {extraArgs: [{value: x}]}\n", "needs a name"),
        (INIT + "bootstrapTokens: [{token: short}]\n", "not of the form"),
        (INIT + "bootstrapTokens: [{usages: [signing, forging]}]\n", "unknown usage 'forging'"),
        (INIT + "nodeRegistration: {ignorePreflightErrors: [all, NumCPU]}\n", "'all' is used"),
        (INIT + "nodeRegistration: {name: Node_1}\n", "not a valid node name"),
        ("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n", "old API spec"),
        (HEADER + "kind: FooConfiguration\n", "unknown kind 'FooConfiguration'"),
        ("apiVersion: example.test/v1\nkind: Thing\n---\n" + INIT, "unknown configuration APIs"),
        ("kind: InitConfiguration\n", "needs a string apiVersion and kind"),
        (INIT + "---\n" + JOIN, "both an InitConfiguration and a JoinConfiguration"),
        (INIT + "---\n" + INIT, "more than one InitConfiguration"),
        ("- a list\n", "is not a mapping"),
        ("apiVersion: v1\nkind: ConfigMap\n", "unknown configuration APIs"),
        (
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
            "no InitConfiguration",
        ),
    ],
)
def test_bad_input_is_one_clear_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_config(text, "cfg.yaml")
    assert "\n" not in str(caught.value)


def test_bad_yaml_and_missing_files_are_input_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(INIT + "nodeRegistration: {name: [\n")
    with pytest.raises(InputError, match=r"broken\.yaml: not valid YAML \(line \d+\)"):
        load_config(broken)
    with pytest.raises(InputError, match="cannot read config file"):
        load_config(tmp_path / "absent.yaml")


def test_token_expiry_may_be_absolute() -> None:
    config = parse_config(INIT + "bootstrapTokens: [{expires: '2030-01-02T03:04:05Z'}]\n").config
    assert config.bootstrap_tokens[0].expires == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds", "formatted"),
    [
        ("8760h", 8760 * 3600, "8760h0m0s"),
        ("87600h0m0s", 87600 * 3600, "87600h0m0s"),
        ("1h30m", 5400, "1h30m0s"),
        ("90s", 90, "1m30s"),
        ("1.5h", 5400, "1h30m0s"),
        ("0", 0, "0s"),
        ("500ms", 0.5, "500ms"),
        ("2.5s", 2.5, "2.5s"),
    ],
)
def test_go_durations_round_trip(text: str, seconds: float, formatted: str) -> None:
    assert parse_duration(text, "x").total_seconds() == seconds
    assert format_duration(timedelta(seconds=seconds)) == formatted


def test_a_fifo_or_an_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_config(fifo)
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    with pytest.raises(InputError, match="larger than 1024 KiB"):
        load_config(huge)
