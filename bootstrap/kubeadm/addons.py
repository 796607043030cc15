"""kubeadm's two essential addons, CoreDNS and kube-proxy, as the objects it applies.

Transcribed from ``cmd/kubeadm/app/phases/addons/dns/manifests.go`` and ``.../proxy/`` (v1.37),
in the order kubeadm creates them. The Service's ``resourceVersion: "0"`` of kubeadm's template
is left out: it only serves kubeadm's own update path and gets in the way of a plain apply.
"""

from __future__ import annotations

from typing import Any

from bootstrap.kubeadm.componentconfigs import (
    KUBE_PROXY_KUBECONFIG_TEMPLATE,
    PROXY_DEFAULT_MODE,
    kube_proxy_skeleton,
)
from bootstrap.kubeadm.configtypes import NODE_BOOTSTRAP_GROUP, BootstrapConfig
from bootstrap.kubeadm.objects import (
    KUBE_SYSTEM,
    Object,
    cluster_role,
    cluster_role_binding,
    config_map,
    get_rule,
    role,
    role_binding,
    signed,
    subject,
)
from bootstrap.kubeadm.yamlio import dump_yaml
from kubeadm_verify.pins import COREDNS_VERSION

IMAGE_REPOSITORY = "registry.k8s.io"
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"
DNS_LABELS = {"k8s-app": "kube-dns"}
PROXY_LABELS = {"k8s-app": "kube-proxy"}
KUBE_PROXY_KUBECONFIG = "/var/lib/kube-proxy/kubeconfig.conf"

COREFILE = """.:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30 {{
       disable success {domain}
       disable denial {domain}
    }}
    loop
    reload
    loadbalance
}}
"""


def coredns_objects(config: BootstrapConfig) -> list[Object]:
    """ConfigMap, ClusterRole, ClusterRoleBinding, ServiceAccount, Deployment, ``kube-dns``."""
    list_watch = ["list", "watch"]
    rules = [
        {
            "apiGroups": [""],
            "resources": ["endpoints", "services", "pods", "namespaces"],
            "verbs": list_watch,
        },
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": list_watch},
    ]
    domain = config.cluster.networking.dns_domain
    return [
        config_map("coredns", KUBE_SYSTEM, {"Corefile": COREFILE.format(domain=domain)}),
        cluster_role("system:coredns", rules),
        cluster_role_binding(
            "system:coredns", "system:coredns", [subject("ServiceAccount", "coredns")]
        ),
        _service_account("coredns"),
        _coredns_deployment(),
        _dns_service(config),
    ]


def kube_proxy_configuration(config: BootstrapConfig) -> Object:
    """kubeadm's kube-proxy component config: its defaults over the zero-valued struct."""
    ipv6 = ":" in config.endpoint.advertise_address
    proxy = kube_proxy_skeleton()
    proxy["bindAddress"] = "::" if ipv6 else "0.0.0.0"  # noqa: S104 (kube-proxy's own default)
    proxy["clientConnection"]["kubeconfig"] = KUBE_PROXY_KUBECONFIG
    proxy["clusterCIDR"] = config.cluster.networking.pod_subnet
    proxy["mode"] = PROXY_DEFAULT_MODE
    return proxy


def kube_proxy_objects(config: BootstrapConfig) -> list[Object]:
    """ServiceAccount, ConfigMap, DaemonSet, then the bindings of ``CreateRBACRules``."""
    return [
        _service_account("kube-proxy"),
        signed(
            config_map(
                "kube-proxy",
                KUBE_SYSTEM,
                {
                    "config.conf": dump_yaml(kube_proxy_configuration(config)).rstrip("\n"),
                    "kubeconfig.conf": KUBE_PROXY_KUBECONFIG_TEMPLATE.format(
                        server=config.endpoint.url
                    ),
                },
                labels={"app": "kube-proxy"},
            )
        ),
        _kube_proxy_daemonset(config),
        cluster_role_binding(
            "kubeadm:node-proxier", "system:node-proxier", [subject("ServiceAccount", "kube-proxy")]
        ),
        role("kube-proxy", KUBE_SYSTEM, [get_rule("configmaps", "kube-proxy")]),
        role_binding("kube-proxy", KUBE_SYSTEM, [subject("Group", NODE_BOOTSTRAP_GROUP)]),
    ]


def _service_account(name: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": KUBE_SYSTEM},
    }


def _dns_service(config: BootstrapConfig) -> Object:
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
    ]
    metadata = {
        "name": "kube-dns",
        "namespace": KUBE_SYSTEM,
        "labels": {
            **DNS_LABELS,
            "kubernetes.io/cluster-service": "true",
            "kubernetes.io/name": "CoreDNS",
        },
        "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
    }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "clusterIP": str(config.cluster.networking.dns_ip),
            "ports": ports,
            "selector": dict(DNS_LABELS),
        },
    }


def _coredns_container() -> dict[str, Any]:
    def probe(path: str, port: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}}

    ports = [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
        ("liveness-probe", 8080, "TCP"),
        ("readiness-probe", 8181, "TCP"),
    ]
    return {
        "name": "coredns",
        "image": f"{IMAGE_REPOSITORY}/coredns/coredns:{COREDNS_VERSION}",
        "imagePullPolicy": "IfNotPresent",
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "args": ["-conf", "/etc/coredns/Corefile"],
        "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
        "ports": [
            {"containerPort": port, "name": name, "protocol": protocol}
            for name, port, protocol in ports
        ],
        "livenessProbe": {
            **probe("/health", "liveness-probe"),
            "initialDelaySeconds": 60,
            "timeoutSeconds": 5,
            "successThreshold": 1,
            "failureThreshold": 5,
        },
        "readinessProbe": probe("/ready", "readiness-probe"),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def _coredns_deployment() -> Object:
    anti_affinity = {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}
                        ]
                    },
                    "topologyKey": "kubernetes.io/hostname",
                },
            }
        ]
    }
    pod_spec = {
        "priorityClassName": "system-cluster-critical",
        "serviceAccountName": "coredns",
        "affinity": {"podAntiAffinity": anti_affinity},
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"key": CONTROL_PLANE_TAINT, "effect": "NoSchedule"},
        ],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "containers": [_coredns_container()],
        "dnsPolicy": "Default",
        "volumes": [
            {
                "name": "config-volume",
                "configMap": {
                    "name": "coredns",
                    "items": [{"key": "Corefile", "path": "Corefile"}],
                },
            }
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": KUBE_SYSTEM, "labels": dict(DNS_LABELS)},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": dict(DNS_LABELS)},
            "template": {"metadata": {"labels": dict(DNS_LABELS)}, "spec": pod_spec},
        },
    }


def _kube_proxy_daemonset(config: BootstrapConfig) -> Object:
    image = f"{IMAGE_REPOSITORY}/kube-proxy:{config.cluster.kubernetes_version}"
    container = {
        "name": "kube-proxy",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": [
            "/usr/local/bin/kube-proxy",
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=$(NODE_NAME)",
        ],
        "securityContext": {"privileged": True},
        "volumeMounts": [
            {"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
            {"mountPath": "/run/xtables.lock", "name": "xtables-lock", "readOnly": False},
            {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True},
        ],
        "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
    }
    pod_spec = {
        "priorityClassName": "system-node-critical",
        "containers": [container],
        "hostNetwork": True,
        "serviceAccountName": "kube-proxy",
        "volumes": [
            {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
            {
                "name": "xtables-lock",
                "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"},
            },
            {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
        ],
        "tolerations": [{"operator": "Exists"}],
        "nodeSelector": {"kubernetes.io/os": "linux"},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": KUBE_SYSTEM, "labels": dict(PROXY_LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(PROXY_LABELS)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": dict(PROXY_LABELS)}, "spec": pod_spec},
        },
    }
