"""The CoreDNS and kube-proxy addon objects, parameterised by the configuration."""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from bootstrap.kubeadm.addons import coredns_objects, kube_proxy_objects
from bootstrap.kubeadm.config import default_config
from bootstrap.kubeadm.configtypes import APIEndpoint, BootstrapConfig, Networking
from kubeadm_verify.record import replace


def config(**networking: str) -> BootstrapConfig:
    base = default_config("node-a")
    cluster = replace(base.cluster, networking=Networking(**networking))
    return replace(base, cluster=cluster, endpoint=APIEndpoint("192.0.2.10", 7443))


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["kind"], item["metadata"]["name"]) for item in items]


def test_coredns_objects_in_kubeadms_order() -> None:
    items = coredns_objects(config())
    assert kinds(items) == [
        ("ConfigMap", "coredns"),
        ("ClusterRole", "system:coredns"),
        ("ClusterRoleBinding", "system:coredns"),
        ("ServiceAccount", "coredns"),
        ("Deployment", "coredns"),
        ("Service", "kube-dns"),
    ]
    assert all(item["metadata"].get("namespace", "kube-system") == "kube-system" for item in items)


def test_the_dns_service_and_corefile_follow_the_networking() -> None:
    items = coredns_objects(config(service_subnet="10.100.0.0/16", dns_domain="k.test"))
    service = items[5]
    assert service["spec"]["clusterIP"] == "10.100.0.10"
    assert service["spec"]["selector"] == {"k8s-app": "kube-dns"}
    assert [(p["name"], p["port"], p["protocol"]) for p in service["spec"]["ports"]] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]
    corefile = items[0]["data"]["Corefile"]
    assert "kubernetes k.test in-addr.arpa ip6.arpa {" in corefile
    assert "disable success k.test" in corefile and "{{" not in corefile


def test_the_coredns_deployment() -> None:
    deployment = coredns_objects(config())[4]
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert (
        spec["selector"]["matchLabels"]
        == spec["template"]["metadata"]["labels"]
        == {"k8s-app": "kube-dns"}
    )
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "registry.k8s.io/coredns/coredns:v1.14.6"
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert pod["serviceAccountName"] == "coredns"
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_kube_proxy_objects_and_their_rbac() -> None:
    items = kube_proxy_objects(config(pod_subnet="10.244.0.0/16"))
    assert kinds(items) == [
        ("ServiceAccount", "kube-proxy"),
        ("ConfigMap", "kube-proxy"),
        ("DaemonSet", "kube-proxy"),
        ("ClusterRoleBinding", "kubeadm:node-proxier"),
        ("Role", "kube-proxy"),
        ("RoleBinding", "kube-proxy"),
    ]
    assert items[3]["roleRef"]["name"] == "system:node-proxier"
    assert items[3]["subjects"] == [
        {"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"}
    ]
    assert items[4]["rules"][0]["resourceNames"] == ["kube-proxy"]
    assert items[5]["subjects"][0]["name"] == "system:bootstrappers:kubeadm:default-node-token"
    daemonset = items[2]
    [container] = daemonset["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.k8s.io/kube-proxy:v1.37.2"
    assert "--config=/var/lib/kube-proxy/config.conf" in container["command"]


def test_the_kube_proxy_config_map() -> None:
    config_map = kube_proxy_objects(config(pod_subnet="10.244.0.0/16"))[1]
    proxy = yaml.safe_load(config_map["data"]["config.conf"])
    assert proxy["kind"] == "KubeProxyConfiguration"
    assert proxy["clusterCIDR"] == "10.244.0.0/16"
    assert proxy["clientConnection"]["kubeconfig"] == "/var/lib/kube-proxy/kubeconfig.conf"
    kubeconfig = yaml.safe_load(config_map["data"]["kubeconfig.conf"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://192.0.2.10:7443"
    digest = hashlib.sha256()
    for key in sorted(config_map["data"]):
        digest.update(config_map["data"][key].encode())
    assert (
        config_map["metadata"]["annotations"]["kubeadm.kubernetes.io/component-config.hash"]
        == f"sha256:{digest.hexdigest()}"
    )
    assert config_map["metadata"]["labels"] == {"app": "kube-proxy"}
    no_pods = yaml.safe_load(kube_proxy_objects(config())[1]["data"]["config.conf"])
    assert no_pods["clusterCIDR"] == ""  # no omitempty on the Go field: written empty
    assert no_pods["mode"] == "iptables"  # kubeadm's defaulting, as v1.37.2 uploads it
