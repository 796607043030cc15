"""The kubelet and kube-proxy component configs exactly as kubeadm v1.37 uploads them.

kubeadm marshals the whole Go struct, so every field without ``omitempty`` (durations, nested
structs, plain strings) is written at its zero value: ``syncFrequency: 0s``, ``mode: iptables``
(kubeadm's defaulting sets it), ``portRange: ""``. The ConfigMaps carry a hash of their text
(``kubeadm.kubernetes.io/component-config.hash``), so only identical text is the same config;
these skeletons are the zero-valued structs as ``kubeadm init --dry-run`` prints them, and the
integration tests compare ours with that output.
"""

from __future__ import annotations

import copy
from typing import Any

Object = dict[str, Any]

_LOGGING: Object = {
    "flushFrequency": 0,
    "verbosity": 0,
    "options": {"json": {"infoBufferSize": "0"}, "text": {"infoBufferSize": "0"}},
}

_KUBELET_ZEROES: Object = {
    "containerRuntimeEndpoint": "",
    "crashLoopBackOff": {},
    "memorySwap": {},
    "logging": _LOGGING,
    **dict.fromkeys(
        (
            "cpuManagerReconcilePeriod",
            "evictionPressureTransitionPeriod",
            "fileCheckFrequency",
            "httpCheckFrequency",
            "imageMaximumGCAge",
            "imageMinimumGCAge",
            "nodeStatusReportFrequency",
            "nodeStatusUpdateFrequency",
            "runtimeRequestTimeout",
            "shutdownGracePeriod",
            "shutdownGracePeriodCriticalPods",
            "streamingConnectionIdleTimeout",
            "syncFrequency",
            "volumeStatsAggPeriod",
        ),
        "0s",
    ),
}

_PROXY_SKELETON: Object = {
    "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
    "kind": "KubeProxyConfiguration",
    "bindAddress": "",
    "bindAddressHardFail": False,
    "clientConnection": {
        "acceptContentTypes": "",
        "burst": 0,
        "contentType": "",
        "kubeconfig": "",
        "qps": 0,
    },
    "clusterCIDR": "",
    "configSyncPeriod": "0s",
    "conntrack": {
        "maxPerCore": None,
        "min": None,
        "tcpBeLiberal": False,
        "tcpCloseWaitTimeout": None,
        "tcpEstablishedTimeout": None,
        "udpStreamTimeout": "0s",
        "udpTimeout": "0s",
    },
    "detectLocal": {"bridgeInterface": "", "interfaceNamePrefix": ""},
    "detectLocalMode": "",
    "enableProfiling": False,
    "healthzBindAddress": "",
    "hostnameOverride": "",
    "iptables": {
        "localhostNodePorts": None,
        "masqueradeAll": False,
        "masqueradeBit": None,
        "minSyncPeriod": "0s",
        "syncPeriod": "0s",
    },
    "ipvs": {
        "excludeCIDRs": None,
        "minSyncPeriod": "0s",
        "scheduler": "",
        "strictARP": False,
        "syncPeriod": "0s",
        "tcpFinTimeout": "0s",
        "tcpTimeout": "0s",
        "udpTimeout": "0s",
    },
    "logging": _LOGGING,
    "metricsBindAddress": "",
    "mode": "",
    "nftables": {
        "masqueradeAll": False,
        "masqueradeBit": None,
        "minSyncPeriod": "0s",
        "syncPeriod": "0s",
    },
    "nodePortAddresses": None,
    "oomScoreAdj": None,
    "portRange": "",
    "showHiddenMetricsForVersion": "",
    "winkernel": {
        "enableDSR": False,
        "forwardHealthCheckVip": False,
        "networkName": "",
        "rootHnsEndpointName": "",
        "sourceVip": "",
    },
}
PROXY_DEFAULT_MODE = "iptables"
"""kubeadm's ``kubeProxyConfig.Default`` sets it when the user's config leaves ``mode`` empty."""

KUBE_PROXY_KUBECONFIG_TEMPLATE = """\
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: {server}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"""
"""kubeadm's kube-proxy ConfigMap template writes this text as is (its own key order)."""


def kubelet_zero_fields() -> Object:
    """The kubelet fields kubeadm writes at their zero value (a fresh copy)."""
    return copy.deepcopy(_KUBELET_ZEROES)


def kube_proxy_skeleton() -> Object:
    """A zero-valued ``KubeProxyConfiguration`` (a fresh copy) for kubeadm's defaults to fill."""
    return copy.deepcopy(_PROXY_SKELETON)


__all__ = [
    "KUBE_PROXY_KUBECONFIG_TEMPLATE",
    "PROXY_DEFAULT_MODE",
    "kube_proxy_skeleton",
    "kubelet_zero_fields",
]
