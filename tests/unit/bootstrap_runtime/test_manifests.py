"""Command lines and static-Pod manifests as kubeadm v1.37 renders them, paths in the state dir."""

from __future__ import annotations

import stat

import yaml

from bootstrap.kubeadm import components
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases import manifests as manifests
from bootstrap.runtime.state import StateDir
from tests.unit.bootstrap_runtime.conftest import with_extra


def flags(command: list[str]) -> dict[str, str]:
    return dict(word[2:].split("=", 1) for word in command[1:])


def test_apiserver_has_kubeadms_27_flags_sorted(config: BootstrapConfig, state: StateDir) -> None:
    from kubeadm_verify.record import replace

    routable = replace(config, endpoint=replace(config.endpoint, advertise_address="192.0.2.7"))
    command = components.apiserver_command(routable, state)
    assert command[0] == "kube-apiserver"
    assert len(command) == 28
    assert command[1:] == sorted(command[1:])
    got = flags(command)
    assert got["advertise-address"] == "192.0.2.7"
    assert got["secure-port"] == "6443"
    assert got["etcd-servers"] == "https://127.0.0.1:2379"
    assert got["authorization-mode"] == "Node,RBAC"
    assert got["client-ca-file"] == str(state.pki / "ca.crt")
    assert got["service-account-issuer"] == "https://kubernetes.default.svc.cluster.local"
    assert "endpoint-reconciler-type" not in got


def test_a_loopback_apiserver_publishes_no_endpoints(
    config: BootstrapConfig, state: StateDir
) -> None:
    command = components.apiserver_command(config, state)
    assert flags(command)["endpoint-reconciler-type"] == "none"
    assert command[1:] == sorted(command[1:])
    overridden = with_extra(config, api_server=[("endpoint-reconciler-type", "lease")])
    assert components.apiserver_command(overridden, state)[-1] == "--endpoint-reconciler-type=lease"


def test_authorization_config_drops_authorization_mode(
    config: BootstrapConfig, state: StateDir
) -> None:
    changed = with_extra(config, api_server=[("authorization-config", "/authz.yaml")])
    got = flags(components.apiserver_command(changed, state))
    assert "authorization-mode" not in got
    assert got["authorization-config"] == "/authz.yaml"


def test_controller_manager_and_scheduler_at_default_ports(
    config: BootstrapConfig, state: StateDir
) -> None:
    kcm = flags(components.controller_manager_command(config, state))
    assert kcm["controllers"] == "*,bootstrapsigner,tokencleaner"
    assert kcm["cluster-name"] == "kubernetes"
    assert kcm["kubeconfig"] == str(state.kubeconfig("controller-manager"))
    assert "secure-port" not in kcm
    assert "secure-port" not in flags(components.scheduler_command(config, state))


def test_moved_ports_reach_every_command(moved: BootstrapConfig, state: StateDir) -> None:
    assert (
        flags(components.apiserver_command(moved, state))["etcd-servers"]
        == "https://127.0.0.1:12379"
    )
    assert flags(components.controller_manager_command(moved, state))["secure-port"] == "20257"
    assert flags(components.scheduler_command(moved, state))["secure-port"] == "20259"
    etcd = flags(components.etcd_command(moved, state))
    assert etcd["listen-client-urls"] == "https://127.0.0.1:12379"  # the duplicate dropped
    assert etcd["listen-peer-urls"] == "https://127.0.0.1:12380"
    assert etcd["listen-metrics-urls"] == "http://127.0.0.1:12381"
    assert etcd["initial-cluster"] == "node1=https://127.0.0.1:12380"
    assert etcd["data-dir"] == str(state.etcd_data)


def test_pod_subnet_turns_on_node_cidrs(config: BootstrapConfig, state: StateDir) -> None:
    from kubeadm_verify.record import replace

    networking = replace(config.cluster.networking, pod_subnet="10.244.0.0/16")
    changed = replace(config, cluster=replace(config.cluster, networking=networking))
    kcm = flags(components.controller_manager_command(changed, state))
    assert kcm["allocate-node-cidrs"] == "true"
    assert kcm["cluster-cidr"] == "10.244.0.0/16"
    assert kcm["service-cluster-ip-range"] == "10.96.0.0/12"


def test_etcd_advertise_client_urls_override_feeds_etcd_servers(
    config: BootstrapConfig, state: StateDir
) -> None:
    changed = with_extra(config, etcd=[("advertise-client-urls", "https://10.0.0.1:2379")])
    assert (
        flags(components.apiserver_command(changed, state))["etcd-servers"]
        == "https://10.0.0.1:2379"
    )


def test_manifest_is_a_kubeadm_static_pod(moved: BootstrapConfig, state: StateDir) -> None:
    state.create()
    manifests.write_manifest(components.APISERVER, moved, state)
    path = state.manifest(components.APISERVER)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.manifests.stat().st_mode) == 0o700
    pod = yaml.safe_load(path.read_text())
    assert pod["metadata"]["labels"] == {"component": "kube-apiserver", "tier": "control-plane"}
    assert pod["metadata"]["annotations"] == {
        "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "127.0.0.1:16443"
    }
    spec = pod["spec"]
    assert spec["hostNetwork"] is True
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["priority"] == 2000001000
    container = spec["containers"][0]
    assert container["image"] == "registry.k8s.io/kube-apiserver:v1.37.2"
    assert container["ports"] == [{"containerPort": 16443, "name": "probe-port", "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["startupProbe"]["failureThreshold"] == 24
    assert container["readinessProbe"]["periodSeconds"] == 1
    assert manifests.manifest_command(state, components.APISERVER) == container["command"]
    names = [volume["name"] for volume in spec["volumes"]]
    assert names == sorted(names)
    assert {
        "name": "k8s-certs",
        "hostPath": {"path": str(state.pki), "type": "DirectoryOrCreate"},
    } in spec["volumes"]


def test_etcd_manifest(config: BootstrapConfig, state: StateDir) -> None:
    pod = manifests.static_pod(components.ETCD, config, state)
    container = pod["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/etcd:3.7.0-0"
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "100Mi"}
    assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert pod["metadata"]["annotations"] == {
        "kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://127.0.0.1:2379"
    }
    assert all("readOnly" not in mount for mount in container["volumeMounts"])


def test_health_urls_follow_ports_and_bind_address(moved: BootstrapConfig) -> None:
    assert components.health_url(components.APISERVER, moved) == "https://127.0.0.1:16443/livez"
    assert (
        components.health_url(components.CONTROLLER_MANAGER, moved)
        == "https://127.0.0.1:20257/healthz"
    )
    assert components.health_url(components.SCHEDULER, moved) == "https://127.0.0.1:20259/livez"
    assert components.health_url(components.ETCD, moved) == "http://127.0.0.1:12381/readyz"
    bound = with_extra(moved, scheduler=[("bind-address", "127.0.0.2")])
    assert components.health_url(components.SCHEDULER, bound) == "https://127.0.0.2:20259/livez"


def test_missing_manifest_has_no_command(state: StateDir) -> None:
    assert manifests.manifest_command(state, components.ETCD) is None
