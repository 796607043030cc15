"""The control plane's command lines and static-Pod manifests, as kubeadm v1.37 renders them.

Mirrors ``cmd/kubeadm/app/phases/controlplane/manifests.go`` (``get*Command``),
``phases/etcd/local.go`` (``getEtcdCommand``) and ``util/arguments.go`` (``ArgumentsToCommand``)
at v1.37.2, with the state dir's paths in place of ``/etc/kubernetes`` and ``/var/lib/etcd``.
Where a local cluster must differ from kubeadm, the difference is a flag kubeadm would not pass
at its defaults and is named here:

* non-default ports: ``--secure-port`` for the controller-manager and scheduler (kubeadm relies on
  the binaries' 10257/10259), and etcd's URLs carry the configured ports instead of 2379/2380/2381;
* the apiserver on the loopback: kube-apiserver refuses to publish a loopback address as the
  ``kubernetes`` Service's endpoint ("may not be in the loopback range"), so with a loopback
  advertise address it gets ``--endpoint-reconciler-type=none`` (the Service then has no
  endpoints, which no process of a local cluster would use anyway);
* etcd on the loopback: when the advertise address *is* 127.0.0.1, kubeadm's
  ``--listen-client-urls=https://127.0.0.1:2379,https://127.0.0.1:2379`` would make etcd bind
  the same socket twice, so the duplicate is dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from bootstrap.kubeadm.configtypes import BootstrapConfig, ExtraArg
from bootstrap.runtime.state import StateDir

ETCD = "etcd"
APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
COMPONENTS = (ETCD, APISERVER, CONTROLLER_MANAGER, SCHEDULER)
"""In the order they must start (and, reversed, stop)."""

DEFAULT_KCM_PORT = 10257
DEFAULT_SCHEDULER_PORT = 10259


def arguments_to_command(base: Sequence[ExtraArg], overrides: Sequence[ExtraArg]) -> list[str]:
    """kubeadm v1.37's ``ArgumentsToCommand`` (v1beta4 has no merge methods: all replace).

    The defaults are sorted by name, then value; an override drops every default of its name;
    the overrides follow, in the user's order, repeats kept (k/k PR 135400, in v1.36+).
    """
    replaced = {arg.name for arg in overrides}
    kept = sorted(
        (arg for arg in base if arg.name not in replaced), key=lambda arg: (arg.name, arg.value)
    )
    return [f"--{arg.name}={arg.value}" for arg in [*kept, *overrides]]


def arg_value(args: Sequence[ExtraArg], name: str) -> str | None:
    """The last value given for ``name`` (what a Go flag parser keeps), or None."""
    values = [arg.value for arg in args if arg.name == name]
    return values[-1] if values else None


def _set(args: list[ExtraArg], name: str, value: str) -> None:
    """kubeadm's ``SetArgValues(args, name, value, 1)``: replace the first, else append."""
    for index, arg in enumerate(args):
        if arg.name == name:
            args[index] = ExtraArg(name, value)
            return
    args.append(ExtraArg(name, value))


def bracket(address: str) -> str:
    return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address


def loopback(config: BootstrapConfig) -> str:
    """kubeadm's loopback of the advertise address's family."""
    address = ipaddress.ip_address(config.endpoint.advertise_address)
    return "::1" if address.version == 6 else "127.0.0.1"


@dataclass(frozen=True)
class Paths:
    """Where kubeadm's fixed paths are for one cluster: ``/etc/kubernetes`` → the state dir."""

    state: StateDir

    def pki(self, name: str) -> str:
        return str(self.state.pki / name)

    def conf(self, name: str) -> str:
        return str(self.state.kubeconfig(name))


def etcd_client_url(config: BootstrapConfig, host: str | None = None) -> str:
    address = bracket(host or config.endpoint.advertise_address)
    return f"https://{address}:{config.ports.etcd_client}"


def etcd_peer_url(config: BootstrapConfig) -> str:
    return f"https://{bracket(config.endpoint.advertise_address)}:{config.ports.etcd_peer}"


def etcd_command(config: BootstrapConfig, state: StateDir) -> list[str]:
    paths, node = Paths(state), config.node.name
    local = loopback(config)
    client_urls = list(dict.fromkeys([etcd_client_url(config, local), etcd_client_url(config)]))
    base = [
        ExtraArg("name", node),
        ExtraArg("listen-client-urls", ",".join(client_urls)),
        ExtraArg("advertise-client-urls", etcd_client_url(config)),
        ExtraArg("listen-peer-urls", etcd_peer_url(config)),
        ExtraArg("initial-advertise-peer-urls", etcd_peer_url(config)),
        ExtraArg("data-dir", str(state.etcd_data)),
        ExtraArg("cert-file", paths.pki("etcd/server.crt")),
        ExtraArg("key-file", paths.pki("etcd/server.key")),
        ExtraArg("trusted-ca-file", paths.pki("etcd/ca.crt")),
        ExtraArg("client-cert-auth", "true"),
        ExtraArg("peer-cert-file", paths.pki("etcd/peer.crt")),
        ExtraArg("peer-key-file", paths.pki("etcd/peer.key")),
        ExtraArg("peer-trusted-ca-file", paths.pki("etcd/ca.crt")),
        ExtraArg("peer-client-cert-auth", "true"),
        ExtraArg("snapshot-count", "10000"),
        ExtraArg("listen-metrics-urls", f"http://{bracket(local)}:{config.ports.etcd_metrics}"),
        ExtraArg("feature-gates", "InitialCorruptCheck=true"),
        ExtraArg("watch-progress-notify-interval", "5s"),
    ]
    _set(base, "initial-cluster", f"{node}={etcd_peer_url(config)}")
    return [ETCD, *arguments_to_command(base, config.cluster.etcd_extra_args)]


def etcd_servers(config: BootstrapConfig) -> str:
    servers = etcd_client_url(config, loopback(config))
    override = arg_value(config.cluster.etcd_extra_args, "advertise-client-urls")
    return override if override is not None else servers


def apiserver_command(config: BootstrapConfig, state: StateDir) -> list[str]:
    paths, cluster = Paths(state), config.cluster
    base = [
        ExtraArg("advertise-address", config.endpoint.advertise_address),
        ExtraArg("enable-admission-plugins", "NodeRestriction"),
        ExtraArg("service-cluster-ip-range", cluster.networking.service_subnet),
        ExtraArg("service-account-key-file", paths.pki("sa.pub")),
        ExtraArg("service-account-signing-key-file", paths.pki("sa.key")),
        ExtraArg(
            "service-account-issuer",
            f"https://kubernetes.default.svc.{cluster.networking.dns_domain}",
        ),
        ExtraArg("client-ca-file", paths.pki("ca.crt")),
        ExtraArg("tls-cert-file", paths.pki("apiserver.crt")),
        ExtraArg("tls-private-key-file", paths.pki("apiserver.key")),
        ExtraArg("kubelet-client-certificate", paths.pki("apiserver-kubelet-client.crt")),
        ExtraArg("kubelet-client-key", paths.pki("apiserver-kubelet-client.key")),
        ExtraArg("enable-bootstrap-token-auth", "true"),
        ExtraArg("secure-port", str(config.endpoint.bind_port)),
        ExtraArg("allow-privileged", "true"),
        ExtraArg("kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"),
        ExtraArg("requestheader-username-headers", "X-Remote-User"),
        ExtraArg("requestheader-group-headers", "X-Remote-Group"),
        ExtraArg("requestheader-extra-headers-prefix", "X-Remote-Extra-"),
        ExtraArg("requestheader-client-ca-file", paths.pki("front-proxy-ca.crt")),
        ExtraArg("requestheader-allowed-names", "front-proxy-client"),
        ExtraArg("proxy-client-cert-file", paths.pki("front-proxy-client.crt")),
        ExtraArg("proxy-client-key-file", paths.pki("front-proxy-client.key")),
    ]
    _set(base, "etcd-servers", etcd_servers(config))
    _set(base, "etcd-cafile", paths.pki("etcd/ca.crt"))
    _set(base, "etcd-certfile", paths.pki("apiserver-etcd-client.crt"))
    _set(base, "etcd-keyfile", paths.pki("apiserver-etcd-client.key"))
    if ipaddress.ip_address(config.endpoint.advertise_address).is_loopback:
        _set(base, "endpoint-reconciler-type", "none")
    extra = cluster.api_server_extra_args
    if arg_value(extra, "authorization-config") is None:
        modes = authorization_modes(arg_value(extra, "authorization-mode"))
        _set(base, "authorization-mode", modes)
    return [APISERVER, *arguments_to_command(base, extra)]


_AUTHZ_MODES = ("AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node")


def authorization_modes(requested: str | None) -> str:
    """kubeadm's ``getAuthzModes``: the user's valid modes, else ``Node,RBAC``."""
    default = "Node,RBAC"
    if not requested:
        return default
    modes = [mode for mode in requested.split(",") if mode and mode in _AUTHZ_MODES]
    return ",".join(modes) if modes else default


def controller_manager_command(config: BootstrapConfig, state: StateDir) -> list[str]:
    paths, cluster = Paths(state), config.cluster
    kubeconfig = paths.conf("controller-manager")
    base = [
        ExtraArg("bind-address", "127.0.0.1"),
        ExtraArg("leader-elect", "true"),
        ExtraArg("kubeconfig", kubeconfig),
        ExtraArg("authentication-kubeconfig", kubeconfig),
        ExtraArg("authorization-kubeconfig", kubeconfig),
        ExtraArg("client-ca-file", paths.pki("ca.crt")),
        ExtraArg("requestheader-client-ca-file", paths.pki("front-proxy-ca.crt")),
        ExtraArg("root-ca-file", paths.pki("ca.crt")),
        ExtraArg("service-account-private-key-file", paths.pki("sa.key")),
        ExtraArg("cluster-signing-cert-file", paths.pki("ca.crt")),
        ExtraArg("cluster-signing-key-file", paths.pki("ca.key")),
        ExtraArg("use-service-account-credentials", "true"),
        ExtraArg("controllers", "*,bootstrapsigner,tokencleaner"),
    ]
    if not (state.pki / "ca.key").exists() and (state.pki / "ca.crt").exists():
        # external CA: the csrsigning controller stays off
        _set(base, "cluster-signing-key-file", "")
        _set(base, "cluster-signing-cert-file", "")
    if cluster.networking.pod_subnet:
        _set(base, "allocate-node-cidrs", "true")
        _set(base, "cluster-cidr", cluster.networking.pod_subnet)
        if cluster.networking.service_subnet:
            _set(base, "service-cluster-ip-range", cluster.networking.service_subnet)
    if cluster.cluster_name:
        _set(base, "cluster-name", cluster.cluster_name)
    if config.ports.controller_manager != DEFAULT_KCM_PORT:
        _set(base, "secure-port", str(config.ports.controller_manager))
    return [CONTROLLER_MANAGER, *arguments_to_command(base, cluster.controller_manager_extra_args)]


def scheduler_command(config: BootstrapConfig, state: StateDir) -> list[str]:
    kubeconfig = Paths(state).conf("scheduler")
    base = [
        ExtraArg("bind-address", "127.0.0.1"),
        ExtraArg("leader-elect", "true"),
        ExtraArg("kubeconfig", kubeconfig),
        ExtraArg("authentication-kubeconfig", kubeconfig),
        ExtraArg("authorization-kubeconfig", kubeconfig),
    ]
    if config.ports.scheduler != DEFAULT_SCHEDULER_PORT:
        _set(base, "secure-port", str(config.ports.scheduler))
    return [SCHEDULER, *arguments_to_command(base, config.cluster.scheduler_extra_args)]


def command(component: str, config: BootstrapConfig, state: StateDir) -> list[str]:
    builders = {
        ETCD: etcd_command,
        APISERVER: apiserver_command,
        CONTROLLER_MANAGER: controller_manager_command,
        SCHEDULER: scheduler_command,
    }
    return builders[component](config, state)


def container_port(component: str, config: BootstrapConfig) -> int:
    return {
        ETCD: config.ports.etcd_metrics,
        APISERVER: config.endpoint.bind_port,
        CONTROLLER_MANAGER: config.ports.controller_manager,
        SCHEDULER: config.ports.scheduler,
    }[component]


def listen_ports(component: str, config: BootstrapConfig) -> tuple[int, ...]:
    """The TCP ports ``component`` binds, as configured."""
    if component == ETCD:
        return (config.ports.etcd_client, config.ports.etcd_peer, config.ports.etcd_metrics)
    return (container_port(component, config),)


# -- health endpoints, as kubeadm's control-plane-check finds them -------------------------------


def probe_host(extra: Sequence[ExtraArg], default: str = "127.0.0.1") -> str:
    address = arg_value(extra, "bind-address")
    if not address or address in ("0.0.0.0", "::"):  # noqa: S104 (reading, not binding)
        return default
    return address


def health_url(component: str, config: BootstrapConfig) -> str:
    """The URL kubeadm's ``[control-plane-check]`` (or the etcd probe) polls for ``component``."""
    cluster = config.cluster
    if component == APISERVER:
        return f"{config.endpoint.url}/livez"
    if component == CONTROLLER_MANAGER:
        host = probe_host(cluster.controller_manager_extra_args)
        return f"https://{bracket(host)}:{config.ports.controller_manager}/healthz"
    if component == SCHEDULER:
        host = probe_host(cluster.scheduler_extra_args)
        return f"https://{bracket(host)}:{config.ports.scheduler}/livez"
    return f"http://{bracket(loopback(config))}:{config.ports.etcd_metrics}/readyz"


__all__ = [
    "APISERVER",
    "COMPONENTS",
    "CONTROLLER_MANAGER",
    "ETCD",
    "SCHEDULER",
    "apiserver_command",
    "arg_value",
    "arguments_to_command",
    "authorization_modes",
    "bracket",
    "command",
    "container_port",
    "controller_manager_command",
    "etcd_command",
    "health_url",
    "listen_ports",
    "loopback",
    "probe_host",
    "scheduler_command",
]
