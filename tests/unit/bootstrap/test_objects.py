"""The in-cluster objects: token Secret, RBAC, cluster-info, kubeadm-config, kubelet-config."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import yaml

from bootstrap.kubeadm import objects
from bootstrap.kubeadm.config import parse_config
from bootstrap.kubeadm.configtypes import BootstrapTokenSpec
from bootstrap.kubeadm.tokens import (
    BootstrapToken,
    compute_detached_signature,
    verify_detached_signature,
)
from kubeadm_verify.record import replace
from tests.unit.bootstrap.conftest import Built

BOOTSTRAPPERS = {
    "apiGroup": "rbac.authorization.k8s.io",
    "kind": "Group",
    "name": "system:bootstrappers:kubeadm:default-node-token",
}
NODES = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:nodes"}


def by_name(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["kind"], item["metadata"]["name"]): item for item in items}


def test_the_bootstrap_token_secret() -> None:
    token = BootstrapToken("abcdef", "0123456789abcdef")
    secret = objects.bootstrap_token_secret(
        token, BootstrapTokenSpec(), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    assert secret["metadata"] == {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded["token-secret"] == "0123456789abcdef"
    assert decoded["expiration"] == "2026-01-02T00:00:00Z"
    assert decoded["auth-extra-groups"] == BOOTSTRAPPERS["name"]


def test_bootstrap_token_rbac_matches_kubeadms_bindings() -> None:
    items = by_name(objects.bootstrap_token_rbac())
    assert items[("ClusterRole", "kubeadm:get-nodes")]["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}
    ]
    expected = {
        "kubeadm:get-nodes": ("kubeadm:get-nodes", BOOTSTRAPPERS),
        "kubeadm:kubelet-bootstrap": ("system:node-bootstrapper", BOOTSTRAPPERS),
        "kubeadm:node-autoapprove-bootstrap": (
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            BOOTSTRAPPERS,
        ),
        "kubeadm:node-autoapprove-certificate-rotation": (
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            NODES,
        ),
    }
    for name, (role, who) in expected.items():
        binding = items[("ClusterRoleBinding", name)]
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": role,
        }
        assert binding["subjects"] == [who]
    assert len(items) == 5


def test_admin_bindings() -> None:
    items = by_name(objects.admin_bindings())
    admins = items[("ClusterRoleBinding", "kubeadm:cluster-admins")]
    assert admins["roleRef"]["name"] == "cluster-admin"
    assert admins["subjects"][0]["name"] == "kubeadm:cluster-admins"
    kubelet_client = items[("ClusterRoleBinding", "kubeadm:apiserver-kubelet-client")]
    assert kubelet_client["roleRef"]["name"] == "system:kubelet-api-admin"
    assert kubelet_client["subjects"] == [
        {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "User",
            "name": "kube-apiserver-kubelet-client",
        }
    ]


def test_cluster_info_carries_the_ca_and_server_and_is_readable_anonymously(built: Built) -> None:
    ca_pem = (built.pki / "ca.crt").read_bytes()
    text = objects.cluster_info_kubeconfig(built.config, ca_pem)
    kubeconfig = yaml.safe_load(text)
    assert kubeconfig["clusters"] == [
        {
            "name": "",
            "cluster": {
                "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                "server": "https://192.0.2.10:6443",
            },
        }
    ]
    assert (kubeconfig["contexts"], kubeconfig["users"], kubeconfig["current-context"]) == (
        None,
        None,
        "",
    )
    assert '  name: ""\n' in text
    items = by_name(objects.cluster_info_objects(text))
    config_map = items[("ConfigMap", "cluster-info")]
    assert config_map["metadata"]["namespace"] == "kube-public"
    assert config_map["data"] == {"kubeconfig": text}
    role = items[("Role", "kubeadm:bootstrap-signer-clusterinfo")]
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get"],
            "resourceNames": ["cluster-info"],
        }
    ]
    binding = items[("RoleBinding", "kubeadm:bootstrap-signer-clusterinfo")]
    assert binding["subjects"][0]["name"] == "system:anonymous"
    signature = compute_detached_signature(text, "abcdef", "0123456789abcdef")
    assert verify_detached_signature(
        config_map["data"]["kubeconfig"], "abcdef", "0123456789abcdef", signature
    )


def test_kubeadm_config_holds_the_cluster_configuration_as_v1beta4() -> None:
    config = parse_config("""\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking: {podSubnet: 10.244.0.0/16}
apiServer: {certSANs: [x.example], extraArgs: [{name: v, value: "2"}]}
""").config
    items = by_name(objects.kubeadm_config_objects(config))
    uploaded = yaml.safe_load(
        items[("ConfigMap", "kubeadm-config")]["data"]["ClusterConfiguration"]
    )
    assert uploaded["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert uploaded["kind"] == "ClusterConfiguration"
    assert uploaded["kubernetesVersion"] == "v1.37.2"
    assert uploaded["networking"] == {
        "dnsDomain": "cluster.local",
        "podSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.96.0.0/12",
    }
    assert uploaded["apiServer"] == {
        "certSANs": ["x.example"],
        "extraArgs": [{"name": "v", "value": "2"}],
    }
    assert uploaded["certificateValidityPeriod"] == "8760h0m0s"
    assert uploaded["caCertificateValidityPeriod"] == "87600h0m0s"
    assert uploaded["etcd"] == {"local": {"dataDir": "/var/lib/etcd"}}
    reread = parse_config(items[("ConfigMap", "kubeadm-config")]["data"]["ClusterConfiguration"])
    assert reread.config.cluster == config.cluster
    binding = items[("RoleBinding", "kubeadm:nodes-kubeadm-config")]
    assert binding["subjects"] == [BOOTSTRAPPERS, NODES]


def test_kubelet_config_is_signed_and_points_at_the_cluster_dns(built: Built) -> None:
    cluster = replace(
        built.config.cluster,
        networking=replace(
            built.config.cluster.networking, service_subnet="10.100.0.0/16", dns_domain="k.test"
        ),
    )
    kubelet = objects.kubelet_configuration(replace(built.config, cluster=cluster))
    items = by_name(objects.kubelet_config_objects(kubelet))
    config_map = items[("ConfigMap", "kubelet-config")]
    text = config_map["data"]["kubelet"]
    loaded = yaml.safe_load(text)
    assert loaded["kind"] == "KubeletConfiguration"
    assert (loaded["clusterDNS"], loaded["clusterDomain"]) == (["10.100.0.10"], "k.test")
    assert loaded["authentication"]["x509"]["clientCAFile"] == "/etc/kubernetes/pki/ca.crt"
    assert loaded["authentication"]["anonymous"]["enabled"] is False
    assert loaded["authorization"]["mode"] == "Webhook"
    expected = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert config_map["metadata"]["annotations"] == {
        "kubeadm.kubernetes.io/component-config.hash": expected
    }
    assert items[("RoleBinding", "kubeadm:kubelet-config")]["subjects"] == [NODES, BOOTSTRAPPERS]
    assert (
        objects.kubelet_configuration(built.config, "/run/systemd/resolve/resolv.conf")[
            "resolvConf"
        ]
        == "/run/systemd/resolve/resolv.conf"
    )
