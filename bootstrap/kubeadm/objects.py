"""The Kubernetes objects ``kubeadm init`` creates, as plain dicts ready for any client.

Bootstrap-token Secret and its RBAC (``phases/bootstraptoken``), ``cluster-info`` in kube-public
(``bootstraptoken/clusterinfo``), the ``kubeadm-config`` and ``kubelet-config`` ConfigMaps with
their Roles (``phases/uploadconfig``, ``phases/kubelet``), and the admin bindings kubeadm ensures
before it uses admin.conf. Names, rules and subjects are kubeadm v1.37's; the addons are in
``bootstrap.kubeadm.addons``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from bootstrap.kubeadm.certspec import KUBELET_API_ADMIN_GROUP
from bootstrap.kubeadm.componentconfigs import kubelet_zero_fields
from bootstrap.kubeadm.configfields import format_duration
from bootstrap.kubeadm.configtypes import (
    NODE_BOOTSTRAP_GROUP,
    BootstrapConfig,
    BootstrapTokenSpec,
    ExtraArg,
)
from bootstrap.kubeadm.kubeconfig import (
    CLUSTER_ADMINS_GROUP,
    NODES_GROUP,
    cluster_only_kubeconfig,
    render,
)
from bootstrap.kubeadm.tokens import SECRET_TYPE, BootstrapToken, token_secret_data
from bootstrap.kubeadm.yamlio import dump_yaml

Object = dict[str, Any]
KUBE_SYSTEM = "kube-system"
KUBE_PUBLIC = "kube-public"
RBAC_API = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTER_INFO = "cluster-info"
KUBEADM_CONFIG = "kubeadm-config"
KUBELET_CONFIG = "kubelet-config"
CONFIG_HASH_ANNOTATION = "kubeadm.kubernetes.io/component-config.hash"
CLUSTER_INFO_ROLE = "kubeadm:bootstrap-signer-clusterinfo"
GET_NODES_ROLE = "kubeadm:get-nodes"
ANONYMOUS_USER = "system:anonymous"


def secret_of(name: str, namespace: str, data: dict[str, str], secret_type: str) -> Object:
    """A Secret with ``data`` base64-encoded, as the API expects it."""
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": secret_type,
        "metadata": {"name": name, "namespace": namespace},
        "data": encoded,
    }


def config_map(name: str, namespace: str, data: dict[str, str], **metadata: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, **metadata},
        "data": data,
    }


def subject(kind: str, name: str, namespace: str | None = None) -> dict[str, str]:
    """An RBAC subject; Group and User carry the RBAC apiGroup, ServiceAccount a namespace."""
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": namespace or KUBE_SYSTEM}
    return {"apiGroup": RBAC_GROUP, "kind": kind, "name": name}


def get_rule(resource: str, *names: str) -> dict[str, list[str]]:
    """``rbachelper.NewRule("get").Groups("").Resources(resource).Names(names...)``."""
    rule = {"apiGroups": [""], "resources": [resource], "verbs": ["get"]}
    return {**rule, "resourceNames": list(names)} if names else rule


def cluster_role(name: str, rules: list[dict[str, list[str]]]) -> Object:
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules,
    }


def cluster_role_binding(name: str, role: str, subjects: list[dict[str, str]]) -> Object:
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


def role(name: str, namespace: str, rules: list[dict[str, list[str]]]) -> Object:
    return {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules,
    }


def role_binding(name: str, namespace: str, subjects: list[dict[str, str]]) -> Object:
    """kubeadm's RoleBindings always point at the Role of the same name."""
    return {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": name},
        "subjects": subjects,
    }


def bootstrap_token_secret(
    token: BootstrapToken, spec: BootstrapTokenSpec, now: datetime
) -> Object:
    """``kube-system/bootstrap-token-<id>`` of type ``bootstrap.kubernetes.io/token``."""
    return secret_of(
        token.secret_name, KUBE_SYSTEM, token_secret_data(token, spec, now), SECRET_TYPE
    )


def admin_bindings() -> list[Object]:
    """The bindings admin.conf's group and (from v1.37) the apiserver's kubelet client need."""
    return [
        cluster_role_binding(
            CLUSTER_ADMINS_GROUP, "cluster-admin", [subject("Group", CLUSTER_ADMINS_GROUP)]
        ),
        cluster_role_binding(
            "kubeadm:apiserver-kubelet-client",
            KUBELET_API_ADMIN_GROUP,
            [subject("User", "kube-apiserver-kubelet-client")],
        ),
    ]


def bootstrap_token_rbac() -> list[Object]:
    """What the bootstrap-token phase configures so that a token can join a node."""
    bootstrappers = [subject("Group", NODE_BOOTSTRAP_GROUP)]
    return [
        cluster_role(GET_NODES_ROLE, [get_rule("nodes")]),
        cluster_role_binding(GET_NODES_ROLE, GET_NODES_ROLE, bootstrappers),
        cluster_role_binding(
            "kubeadm:kubelet-bootstrap", "system:node-bootstrapper", bootstrappers
        ),
        cluster_role_binding(
            "kubeadm:node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            bootstrappers,
        ),
        cluster_role_binding(
            "kubeadm:node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            [subject("Group", NODES_GROUP)],
        ),
    ]


def cluster_info_kubeconfig(config: BootstrapConfig, ca_pem: bytes) -> str:
    """The text the BootstrapSigner signs: admin.conf's cluster (server and CA) only."""
    return render(cluster_only_kubeconfig(config.endpoint.url, ca_pem))


def cluster_info_objects(kubeconfig_text: str) -> list[Object]:
    """``kube-public/cluster-info`` and the Role that lets anonymous users read it."""
    return [
        config_map(CLUSTER_INFO, KUBE_PUBLIC, {"kubeconfig": kubeconfig_text}),
        role(CLUSTER_INFO_ROLE, KUBE_PUBLIC, [get_rule("configmaps", CLUSTER_INFO)]),
        role_binding(CLUSTER_INFO_ROLE, KUBE_PUBLIC, [subject("User", ANONYMOUS_USER)]),
    ]


def cluster_configuration(config: BootstrapConfig) -> Object:
    """The ``ClusterConfiguration`` kubeadm uploads: v1beta4, defaults filled in."""
    cluster = config.cluster
    networking = {
        "dnsDomain": cluster.networking.dns_domain,
        "serviceSubnet": cluster.networking.service_subnet,
    }
    if cluster.networking.pod_subnet:
        networking["podSubnet"] = cluster.networking.pod_subnet
    api_server = _component(cluster.api_server_extra_args)
    if cluster.api_server_cert_sans:
        api_server["certSANs"] = list(cluster.api_server_cert_sans)
    return {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "ClusterConfiguration",
        "apiServer": api_server,
        "caCertificateValidityPeriod": format_duration(cluster.ca_certificate_validity),
        "certificateValidityPeriod": format_duration(cluster.certificate_validity),
        "certificatesDir": "/etc/kubernetes/pki",
        "clusterName": cluster.cluster_name,
        "controllerManager": _component(cluster.controller_manager_extra_args),
        "dns": {},
        "encryptionAlgorithm": cluster.encryption_algorithm.value,
        "etcd": {"local": {"dataDir": "/var/lib/etcd", **_component(cluster.etcd_extra_args)}},
        "imageRepository": "registry.k8s.io",
        "kubernetesVersion": cluster.kubernetes_version,
        "networking": networking,
        "proxy": {},
        "scheduler": _component(cluster.scheduler_extra_args),
    }


def kubeadm_config_objects(config: BootstrapConfig) -> list[Object]:
    """``kube-system/kubeadm-config`` and the Role letting joining nodes read it."""
    readers = [subject("Group", NODE_BOOTSTRAP_GROUP), subject("Group", NODES_GROUP)]
    name = "kubeadm:nodes-kubeadm-config"
    return [
        config_map(
            KUBEADM_CONFIG,
            KUBE_SYSTEM,
            {"ClusterConfiguration": dump_yaml(cluster_configuration(config))},
        ),
        role(name, KUBE_SYSTEM, [get_rule("configmaps", KUBEADM_CONFIG)]),
        role_binding(name, KUBE_SYSTEM, readers),
    ]


def kubelet_configuration(
    config: BootstrapConfig, resolv_conf: str | None = None, cgroup_driver: str = "systemd"
) -> Object:
    """The fields kubeadm's kubelet component-config defaulting sets, over the fields it writes
    at their Go zero value (which the kubelet reads as "use the default").

    ``resolv_conf`` is set by kubeadm only where systemd-resolved runs
    (``/run/systemd/resolve/resolv.conf``): the caller probes for it.
    """
    kubelet: Object = {
        **kubelet_zero_fields(),
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"cacheTTL": "0s", "enabled": True},
            "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
        },
        "authorization": {
            "mode": "Webhook",
            "webhook": {"cacheAuthorizedTTL": "0s", "cacheUnauthorizedTTL": "0s"},
        },
        "cgroupDriver": cgroup_driver,
        "clusterDNS": [str(config.cluster.networking.dns_ip)],
        "clusterDomain": config.cluster.networking.dns_domain,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "rotateCertificates": True,
        "staticPodPath": "/etc/kubernetes/manifests",
    }
    if resolv_conf:
        kubelet["resolvConf"] = resolv_conf
    return kubelet


def kubelet_config_objects(kubelet: Object) -> list[Object]:
    """``kube-system/kubelet-config`` (signed, as kubeadm-generated) and its Role."""
    name = "kubeadm:kubelet-config"
    readers = [subject("Group", NODES_GROUP), subject("Group", NODE_BOOTSTRAP_GROUP)]
    return [
        signed(config_map(KUBELET_CONFIG, KUBE_SYSTEM, {"kubelet": dump_yaml(kubelet)})),
        role(name, KUBE_SYSTEM, [get_rule("configmaps", KUBELET_CONFIG)]),
        role_binding(name, KUBE_SYSTEM, readers),
    ]


def component_config_hash(data: dict[str, str]) -> str:
    """``ChecksumForConfigMap``: SHA-256 over the values in sorted key order."""
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(data[key].encode())
    return f"sha256:{digest.hexdigest()}"


def signed(config_map_object: Object) -> Object:
    """``SignConfigMap``: the hash annotation kubeadm uses to tell its own configs from users'."""
    annotations = {CONFIG_HASH_ANNOTATION: component_config_hash(config_map_object["data"])}
    metadata = {**config_map_object["metadata"], "annotations": annotations}
    return {**config_map_object, "metadata": metadata}


def _component(extra_args: tuple[ExtraArg, ...]) -> Object:
    if not extra_args:
        return {}
    return {"extraArgs": [{"name": arg.name, "value": arg.value} for arg in extra_args]}
