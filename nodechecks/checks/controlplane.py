"""``kubeadm init``'s own checks before the common ones: firewall, control-plane ports, the static
Pod manifests (and, for a worker, ``kubeadm join``'s kubeconfigs), and the proxy settings."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from kubeadm_verify.checks import (
    CONTROL_PLANE,
    WORKER,
    Finding,
    failed,
    passed,
    skipped,
    unknown,
    warned,
)
from kubeadm_verify.results import Severity
from nodechecks import services
from nodechecks.catalog import REGISTRY
from nodechecks.checks.kinds import file_available, path_id, port_free
from nodechecks.context import NodeContext
from nodechecks.proxy import proxy_for

KUBELET_PORT = 10250
SCHEDULER_PORT = 10259
CONTROLLER_MANAGER_PORT = 10257
MANIFESTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")


def judge_firewalld(exists: bool, active: bool | None, ports: list[int]) -> Finding:
    if not exists:
        return passed("firewalld is not installed")
    if active is None:
        return unknown(
            "whether firewalld is active (the init system is not asked under --root)",
            f"make sure ports {ports} are open if firewalld runs",
            ports=ports,
        )
    if active:
        return warned(
            f"firewalld is active, please ensure ports [{' '.join(map(str, ports))}] are open or "
            "your cluster may not function correctly",
            "open them: "
            + "; ".join(f"firewall-cmd --permanent --add-port={p}/tcp" for p in ports)
            + "; firewall-cmd --reload",
            ports=ports,
        )
    return passed("firewalld is installed but not active")


@REGISTRY.check("Firewalld", severity=Severity.WARNING, roles=CONTROL_PLANE, origin="kubeadm")
def firewalld(ctx: NodeContext) -> Finding:
    """If firewalld runs, the API server and kubelet ports must be opened in it."""
    state = services.service_state(ctx.host, "firewalld")
    if not state.init_system:
        return warned("no supported init system detected, skipping checking for services")
    active = services.is_active(ctx.host, "firewalld") if state.exists else False
    return judge_firewalld(state.exists, active, [ctx.bind_port, KUBELET_PORT])


@REGISTRY.check("Port-6443", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def port_api_server(ctx: NodeContext) -> Finding:
    """Nothing listens on the API server's bindPort (the id follows it: ``Port-<bindPort>``)."""
    return port_free(ctx, ctx.bind_port)


@REGISTRY.check("Port-10259", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def port_scheduler(ctx: NodeContext) -> Finding:
    """Nothing listens on the kube-scheduler's secure port."""
    return port_free(ctx, SCHEDULER_PORT)


@REGISTRY.check("Port-10257", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def port_controller_manager(ctx: NodeContext) -> Finding:
    """Nothing listens on the kube-controller-manager's secure port."""
    return port_free(ctx, CONTROLLER_MANAGER_PORT)


def _declare_file_available(path: str, roles: frozenset[str]) -> None:
    def check(ctx: NodeContext) -> Finding:
        return file_available(ctx, path)

    check.__doc__ = f"{path} does not exist yet (kubeadm writes it)."
    REGISTRY.check(
        path_id("FileAvailable", path), severity=Severity.ERROR, roles=roles, origin="kubeadm"
    )(check)


for _name in MANIFESTS:
    _declare_file_available(f"/etc/kubernetes/manifests/{_name}.yaml", CONTROL_PLANE)
# kubeadm join checks these two first; they sit here so each role keeps kubeadm's relative order.
_declare_file_available("/etc/kubernetes/kubelet.conf", WORKER)
_declare_file_available("/etc/kubernetes/bootstrap-kubelet.conf", WORKER)


def judge_http_proxy(address: str, environ: Mapping[str, str]) -> Finding:
    """kubeadm checks ``https://<advertise address>`` (an IPv6 one with port 1234)."""
    host, port = address, "443"
    url = f"https://{address}"
    try:
        if ipaddress.ip_address(address).version == 6:
            url, port = f"https://[{address}]:1234", "1234"
    except ValueError:
        pass
    proxy = proxy_for("https", host, port, environ)
    if proxy:
        return warned(
            f'Connection to "{url}" uses proxy "{proxy}". If that is not intended, adjust your '
            "proxy settings",
            f"add {address} to NO_PROXY",
            url=url,
            proxy=proxy,
        )
    return passed(f"{url} is reached directly", url=url)


@REGISTRY.check("HTTPProxy", severity=Severity.WARNING, origin="kubeadm")
def http_proxy(ctx: NodeContext) -> Finding:
    """The API server address is not reached through an HTTPS proxy.

    The proxy settings are this process's environment, which says nothing about a host mounted
    elsewhere, so the check is skipped under --root.
    """
    if not ctx.host.is_live:
        return skipped("the proxy environment of a host mounted elsewhere cannot be seen")
    if not (os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")):
        return passed("no HTTPS proxy is configured")
    if not ctx.advertise_address and ctx.role == "worker":
        return skipped(
            "kubeadm join checks the proxy against the discovery API server endpoint, "
            "and none is configured"
        )
    if not ctx.advertise_address:
        return unknown(
            "the advertise address (give it in --config) to test it against the proxy",
            "set localAPIEndpoint.advertiseAddress",
        )
    return judge_http_proxy(ctx.advertise_address, os.environ)


def judge_http_proxy_cidrs(cidrs: list[str], environ: Mapping[str, str]) -> Finding:
    """The first address of each service and pod CIDR (``:1234``) must not go through a proxy."""
    problems, checked = [], []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            return failed(
                f'error parsing CIDR "{cidr}": {exc}', "fix the CIDR in the configuration"
            )
        first = network.network_address + 1
        checked.append(str(first))
        proxy = proxy_for("https", str(first), "1234", environ)
        if proxy:
            problems.append(
                f'connection to "{cidr}" uses proxy "{proxy}". This may lead to malfunctional '
                "cluster setup. Make sure that Pod and Services IP ranges specified correctly as "
                "exceptions in proxy configuration"
            )
    if problems:
        return warned("\n".join(problems), f"add {','.join(cidrs)} to NO_PROXY", cidrs=cidrs)
    return passed(f"{', '.join(cidrs)} are reached directly", cidrs=cidrs, addresses=checked)


@REGISTRY.check("HTTPProxyCIDR", severity=Severity.WARNING, roles=CONTROL_PLANE, origin="kubeadm")
def http_proxy_cidr(ctx: NodeContext) -> Finding:
    """Service and Pod CIDRs bypass the HTTPS proxy (``kubeadm init`` only: join has none;
    skipped under --root, as HTTPProxy)."""
    if not ctx.host.is_live:
        return skipped("the proxy environment of a host mounted elsewhere cannot be seen")
    return judge_http_proxy_cidrs(ctx.cluster_cidrs(), os.environ)
