"""The static-Pod manifests that ``etcd/local`` and ``control-plane/*`` write, as kubeadm v1.37.

``cmd/kubeadm/app/util/staticpod`` (``ComponentPod``, the probes), ``phases/controlplane``
(volumes, resources, the advertise-address annotation) and ``phases/etcd/local.go``, with the
state dir's paths in place of ``/etc/kubernetes``. Each command comes from
``bootstrap.kubeadm.components``; our "kubelet" (``bootstrap.phases.staticpods``) reads it back and
runs it.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from bootstrap.kubeadm.components import (
    APISERVER,
    CONTROLLER_MANAGER,
    ETCD,
    SCHEDULER,
    command,
    container_port,
    etcd_client_url,
    loopback,
    probe_host,
)
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.files import write_private
from bootstrap.runtime.state import StateDir
from kubeadm_verify import yamlread
from kubeadm_verify.pins import ETCD_IMAGE_TAG

IMAGE_REPOSITORY = "registry.k8s.io"
PROBE_PORT = "probe-port"
PRIORITY = 2000001000
CA_CERTS = "/etc/ssl/certs"
CA_CERTS_EXTRA = (
    "/etc/pki/ca-trust",
    "/etc/pki/tls/certs",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
)
CPU_REQUESTS = {APISERVER: "250m", CONTROLLER_MANAGER: "200m", SCHEDULER: "100m"}
HEALTH_TIMEOUT_SECONDS = 240
"""kubeadm's ``ControlPlaneComponentHealthCheck`` default (4m), which sizes the startup probe."""


def _probe(
    host: str, path: str, scheme: str, delay: int, failures: int, period: int
) -> dict[str, Any]:
    probe: dict[str, Any] = {
        "failureThreshold": failures,
        "httpGet": {"host": host, "path": path, "port": PROBE_PORT, "scheme": scheme},
        "periodSeconds": period,
        "timeoutSeconds": 15,
    }
    if delay:
        probe["initialDelaySeconds"] = delay
    return probe


def _probes(host: str, live: str, ready: str | None, start: str, scheme: str) -> dict[str, Any]:
    probes = {
        "livenessProbe": _probe(host, live, scheme, 10, 8, 10),
        "startupProbe": _probe(host, start, scheme, 10, -(-HEALTH_TIMEOUT_SECONDS // 10), 10),
    }
    if ready:
        probes["readinessProbe"] = _probe(host, ready, scheme, 0, 3, 1)
    return probes


def _volume(name: str, path: str, kind: str = "DirectoryOrCreate") -> dict[str, Any]:
    return {"hostPath": {"path": path, "type": kind}, "name": name}


def _mount(name: str, path: str, read_only: bool = True) -> dict[str, Any]:
    mount: dict[str, Any] = {"mountPath": path, "name": name}
    if read_only:
        mount["readOnly"] = True
    return mount


def _host_volumes(component: str, state: StateDir) -> list[tuple[str, str, str]]:
    """(name, path, type) of each hostPath volume, as kubeadm's volumes.go picks them."""
    if component == ETCD:
        return [
            ("etcd-certs", str(state.pki / "etcd"), "DirectoryOrCreate"),
            ("etcd-data", str(state.etcd_data), "DirectoryOrCreate"),
        ]
    if component == SCHEDULER:
        return [("kubeconfig", str(state.kubeconfig("scheduler")), "FileOrCreate")]
    volumes = [
        ("k8s-certs", str(state.pki), "DirectoryOrCreate"),
        ("ca-certs", CA_CERTS, "DirectoryOrCreate"),
    ]
    volumes += [
        (path.replace("/", "-")[1:], path, "DirectoryOrCreate")
        for path in CA_CERTS_EXTRA
        if os.path.exists(path)
    ]
    if component == CONTROLLER_MANAGER:
        volumes.append(("kubeconfig", str(state.kubeconfig("controller-manager")), "FileOrCreate"))
    return sorted(volumes)


def _image(component: str, config: BootstrapConfig) -> str:
    if component == ETCD:
        return f"{IMAGE_REPOSITORY}/etcd:{ETCD_IMAGE_TAG}"
    return f"{IMAGE_REPOSITORY}/{component}:{config.cluster.kubernetes_version}"


def _component_probes(component: str, config: BootstrapConfig) -> dict[str, Any]:
    cluster = config.cluster
    if component == ETCD:
        return _probes(loopback(config), "/livez", "/readyz", "/readyz", "HTTP")
    if component == APISERVER:
        return _probes(config.endpoint.advertise_address, "/livez", "/readyz", "/livez", "HTTPS")
    if component == CONTROLLER_MANAGER:
        host = probe_host(cluster.controller_manager_extra_args)
        return _probes(host, "/healthz", None, "/healthz", "HTTPS")
    host = probe_host(cluster.scheduler_extra_args)
    return _probes(host, "/livez", "/readyz", "/livez", "HTTPS")


def static_pod(component: str, config: BootstrapConfig, state: StateDir) -> dict[str, Any]:
    """The static Pod kubeadm would write for ``component`` (as a dict, keys as in its YAML)."""
    volumes = _host_volumes(component, state)
    container: dict[str, Any] = {
        "command": command(component, config, state),
        "image": _image(component, config),
        "imagePullPolicy": "IfNotPresent",
        "name": component,
        "ports": [
            {
                "containerPort": container_port(component, config),
                "name": PROBE_PORT,
                "protocol": "TCP",
            }
        ],
        "resources": {"requests": {"cpu": CPU_REQUESTS.get(component, "100m")}},
        "volumeMounts": [
            _mount(name, path, read_only=component != ETCD) for name, path, _ in volumes
        ],
        **_component_probes(component, config),
    }
    if component == ETCD:
        container["resources"]["requests"]["memory"] = "100Mi"
    proxies = [
        {"name": key, "value": value}
        for key, value in sorted(os.environ.items())
        if key.lower().endswith("_proxy") and value
    ]
    if proxies:
        container["env"] = proxies
    metadata: dict[str, Any] = {
        "creationTimestamp": None,
        "labels": {"component": component, "tier": "control-plane"},
        "name": component,
        "namespace": "kube-system",
    }
    if component == APISERVER:
        endpoint = f"{config.endpoint.advertise_address}:{config.endpoint.bind_port}"
        metadata["annotations"] = {
            "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": endpoint
        }
    if component == ETCD:
        metadata["annotations"] = {
            "kubeadm.kubernetes.io/etcd.advertise-client-urls": etcd_client_url(config)
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [container],
            "hostNetwork": True,
            "priority": PRIORITY,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [_volume(name, path, kind) for name, path, kind in volumes],
        },
        "status": {},
    }


def render(pod: dict[str, Any]) -> str:
    """YAML with sorted keys, as kubeadm's JSON-then-YAML marshalling writes manifests."""
    return yaml.safe_dump(pod, sort_keys=True, default_flow_style=False)


def write_manifest(component: str, config: BootstrapConfig, state: StateDir) -> dict[str, Any]:
    """Write ``manifests/<component>.yaml`` (0600, dir 0700, as kubeadm); return the Pod."""
    pod = static_pod(component, config, state)
    state.manifests.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(state.manifest(component), render(pod).encode())
    return pod


def manifest_command(state: StateDir, component: str) -> list[str] | None:
    """The command of the manifest on disk (what the "kubelet" runs), or None if absent."""
    try:
        pod = yamlread.load(state.manifest(component).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    containers = pod.get("spec", {}).get("containers", []) if isinstance(pod, dict) else []
    if not containers or not isinstance(containers[0].get("command"), list):
        return None
    return [str(word) for word in containers[0]["command"]]


__all__ = ["manifest_command", "render", "static_pod", "write_manifest"]
