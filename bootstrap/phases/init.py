"""The bodies of ``kubeadm init``'s phases, each ``(config, state, log)``, over our modules.

The configuration a phase receives is already resolved (``bootstrap.runtime.cluster.resolve``):
no port is 0 and every bootstrap token has its value, so running a phase twice renders the same
files.
Phases that write to the cluster talk to it as admin.conf, after making sure admin.conf's group
is bound to ``cluster-admin`` (kubeadm's ``EnsureAdminClusterRoleBinding``: try as admin, and on
Forbidden create the binding as super-admin).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from bootstrap.kubeadm import addons, components, objects, pki
from bootstrap.kubeadm import kubeconfig as kubeconfigs
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.files import write_private
from bootstrap.kubeadm.tokens import BootstrapToken, parse_token
from bootstrap.phases import manifests as manifests
from bootstrap.phases.api import ApiClient, ApiError, collection_path, retry
from bootstrap.phases.staticpods import running, sync
from bootstrap.runtime import health
from bootstrap.runtime.ports import is_listening
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

Log = Callable[[str], None]
CONTROL_PLANE_LABELS = (
    "node-role.kubernetes.io/control-plane",
    "node.kubernetes.io/exclude-from-external-load-balancers",
)
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"
RESOLVED_CONF = "/run/systemd/resolve/resolv.conf"


# -- certs and kubeconfig: files only ------------------------------------------------------------


def cert(name: str) -> Callable[[BootstrapConfig, StateDir, Log], None]:
    def run(config: BootstrapConfig, state: StateDir, log: Log) -> None:
        state.create()
        pki.CERT_PHASES[name](config, state.pki, log)

    return run


def kubeconfig(name: str) -> Callable[[BootstrapConfig, StateDir, Log], None]:
    def run(config: BootstrapConfig, state: StateDir, log: Log) -> None:
        state.create()
        kubeconfigs.create_kubeconfig(name, config, state.root, log, state.pki)

    return run


# -- etcd and the control plane: manifests, which our "kubelet" runs ---------------------------


def etcd_local(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    state.create()
    log(f'[etcd] Creating static Pod manifest for local etcd in "{state.manifests}"')
    manifests.write_manifest(components.ETCD, config, state)
    _refuse_taken_ports(config, state, components.ETCD)
    sync(state, components.ETCD)


def control_plane(component: str) -> Callable[[BootstrapConfig, StateDir, Log], None]:
    def run(config: BootstrapConfig, state: StateDir, log: Log) -> None:
        state.create()
        log(f'[control-plane] Creating static Pod manifest for "{component}"')
        manifests.write_manifest(component, config, state)
        _refuse_taken_ports(config, state, component)
        sync(state, component)
        if component == components.APISERVER:
            _await_apiserver(config, state)

    return run


def _refuse_taken_ports(config: BootstrapConfig, state: StateDir, component: str) -> None:
    """Fail before starting a process whose port something else (another cluster) holds: the
    process would only exit with "address already in use" in its log."""
    if running(state, component) is not None:
        return
    taken = [port for port in components.listen_ports(component, config) if is_listening(port)]
    if taken:
        listed = ", ".join(str(port) for port in taken)
        raise BootstrapError(
            f"{component}: port {listed} already in use (another cluster?); "
            "set other ports, or 0 for free ones, in the configuration"
        )


def _await_apiserver(config: BootstrapConfig, state: StateDir) -> None:
    """Return once the apiserver we started answers ``/readyz``; fail at once if it exits.

    The kubelet starts all static Pods at once, and the controller-manager and scheduler then
    spend their first leader-election attempt on an apiserver that is not ready (refused, or
    Forbidden before its RBAC bootstrap) and sleep a retry period (2 s, jittered) before the
    next. Started after this, they take the lease at the first try; and a bad apiserver flag
    fails this phase, the one that started it.
    """
    url = config.endpoint.url + "/readyz"
    context = health.admin_context(state)
    health.wait_until(
        lambda: health.http_status(url, context, timeout=1.0) == 200,
        "kube-apiserver to be ready",
        state,
        timeout=health.CONTROL_PLANE_TIMEOUT,
    )


def wait_control_plane(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    log(
        "[wait-control-plane] Waiting for the kubelet to boot up the control plane as static "
        f'Pods from directory "{state.manifests}"'
    )
    health.wait_control_plane(config, state, log)


# -- phases that write to the cluster ------------------------------------------------------------


def admin_client(state: StateDir) -> ApiClient:
    """A client as admin.conf, its ``kubeadm:cluster-admins`` binding in place."""
    client = ApiClient.from_kubeconfig(state, "admin")
    binding = objects.admin_bindings()[0]
    try:
        retry(
            lambda: client.create_if_absent(binding),
            "creating the admin ClusterRoleBinding",
            timeout=30.0,
        )
    except BootstrapError as error:
        if not isinstance(error.__cause__, ApiError) or error.__cause__.status != 403:
            client.close()
            raise
        if not state.kubeconfig("super-admin").exists():
            client.close()
            raise BootstrapError(
                "could not bootstrap the admin user in file admin.conf: "
                "Forbidden, and no super-admin.conf to fix it"
            ) from error
        super_admin = ApiClient.from_kubeconfig(state, "super-admin")
        try:
            retry(
                lambda: super_admin.create_if_absent(binding), "unable to create ClusterRoleBinding"
            )
        finally:
            super_admin.close()
        _await_authorized(client, binding)
    return client


def _await_authorized(client: ApiClient, binding: objects.Object) -> None:
    """The RBAC authorizer sees a new binding through its informer, a moment after it exists;
    kubeadm's later calls retry through that moment, ours wait for it once, here."""
    path = f"{collection_path(binding)}/{binding['metadata']['name']}"
    refusals: list[ApiError] = []

    def authorized() -> bool:
        try:
            client.get(path)
        except ApiError as error:
            if error.status != 403:
                raise BootstrapError(f"admin.conf is still not authorized: {error}") from error
            refusals.append(error)
            return False
        return True

    try:
        wait_for(authorized, 30.0, interval=0.05)
    except WaitTimedOut:
        error = refusals[-1]
        raise BootstrapError(f"admin.conf is still not authorized: {error}") from error


def _apply(client: ApiClient, items: list[objects.Object], what: str) -> None:
    for item in items:
        name = f"{item['kind']} {item['metadata']['name']}"
        retry(lambda item=item: client.create_or_update(item), f"{what}: {name}")  # type: ignore[misc]


def upload_kubeadm_config(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    client = admin_client(state)
    try:
        log(
            '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in '
            'the "kube-system" Namespace'
        )
        _apply(client, objects.kubeadm_config_objects(config), "error uploading configuration")
    finally:
        client.close()


def upload_kubelet_config(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    client = admin_client(state)
    try:
        log(
            '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the '
            "configuration for the kubelets in the cluster"
        )
        resolv = RESOLVED_CONF if os.path.exists(RESOLVED_CONF) else None
        kubelet = objects.kubelet_configuration(config, resolv)
        _apply(client, objects.kubelet_config_objects(kubelet), "error creating kubelet config")
    finally:
        client.close()


def mark_control_plane(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    """Label and taint the node, when there is one: no kubelet registers ours by itself."""
    client = admin_client(state)
    name = config.node.name
    try:
        path = f"/api/v1/nodes/{name}"
        node = retry(lambda: client.get_or_none(path), f"getting Node {name}")
        if node is None:
            log(
                f'[mark-control-plane] Skipping phase: there is no Node "{name}" '
                "(no kubelet runs the control plane processes)"
            )
            return
        log(
            f"[mark-control-plane] Marking the node {name} as control-plane by adding the "
            f"labels: [{' '.join(CONTROL_PLANE_LABELS)}]"
        )
        log(
            f"[mark-control-plane] Marking the node {name} as control-plane by adding the "
            f"taints [{CONTROL_PLANE_TAINT}:NoSchedule]"
        )
        taints = [
            t
            for t in node.get("spec", {}).get("taints") or []
            if t.get("key") != CONTROL_PLANE_TAINT
        ]
        taints.append({"key": CONTROL_PLANE_TAINT, "effect": "NoSchedule"})
        patch = {
            "metadata": {"labels": dict.fromkeys(CONTROL_PLANE_LABELS, "")},
            "spec": {"taints": taints},
        }
        retry(lambda: client.patch(path, patch), f"error marking Node {name}")
    finally:
        client.close()


def masked(token: BootstrapToken) -> str:
    """A token as logs may show it: the public id, the secret hidden."""
    return f"{token.id}.{'*' * 16}"


def bootstrap_token(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    tokens = [parse_token(spec.token) for spec in config.bootstrap_tokens]
    # kubeadm prints whole tokens; ours end up in CI logs, so only the public id is shown.
    if len(tokens) == 1:
        log(f"[bootstrap-token] Using token: {masked(tokens[0])}")
    elif tokens:
        log(f"[bootstrap-token] Using tokens: [{' '.join(masked(token) for token in tokens)}]")
    log("[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles")
    client = admin_client(state)
    try:
        now = datetime.now(UTC)
        secrets = [
            objects.bootstrap_token_secret(token, spec, now)
            for token, spec in zip(tokens, config.bootstrap_tokens, strict=True)
        ]
        _apply(client, secrets, "error updating or creating token")
        rbac = objects.bootstrap_token_rbac()
        steps = [
            (
                "kubeadm:get-nodes",
                "Configured RBAC rules to allow Node Bootstrap tokens to get nodes",
            ),
            (
                "kubeadm:kubelet-bootstrap",
                "Configured RBAC rules to allow Node Bootstrap tokens "
                "to post CSRs in order for nodes to get long term certificate credentials",
            ),
            (
                "kubeadm:node-autoapprove-bootstrap",
                "Configured RBAC rules to allow the "
                "csrapprover controller automatically approve CSRs from a Node Bootstrap Token",
            ),
            (
                "kubeadm:node-autoapprove-certificate-rotation",
                "Configured RBAC rules to allow "
                "certificate rotation for all node client certificates in the cluster",
            ),
        ]
        for name, line in steps:
            log(f"[bootstrap-token] {line}")
            _apply(
                client,
                [item for item in rbac if item["metadata"]["name"] == name],
                "error configuring bootstrap token RBAC",
            )
        log(
            "[bootstrap-token] Configured RBAC rules to allow the API server kubelet client "
            "certificate to access the kubelet API"
        )
        _apply(
            client, objects.admin_bindings()[1:], "error allowing API server to access kubelet API"
        )
        _cluster_info(config, state, client, log)
    finally:
        client.close()


def _cluster_info(config: BootstrapConfig, state: StateDir, client: ApiClient, log: Log) -> None:
    log('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    ca_pem = (state.pki / "ca.crt").read_bytes()
    config_map, *rbac = objects.cluster_info_objects(
        objects.cluster_info_kubeconfig(config, ca_pem)
    )
    retry(lambda: client.create_if_absent(config_map), "error creating bootstrap ConfigMap")
    _apply(client, rbac, "error creating clusterinfo RBAC rules")


def _install_addon(state: StateDir, items: list[objects.Object], name: str, log: Log) -> None:
    client = admin_client(state)
    try:
        _apply(client, items, f"error installing {name}")
        log(f"[addons] Applied essential addon: {name}")
    finally:
        client.close()


def addon_coredns(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    _install_addon(state, addons.coredns_objects(config), "CoreDNS", log)


def addon_kube_proxy(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    _install_addon(state, addons.kube_proxy_objects(config), "kube-proxy", log)


def show_join_command(config: BootstrapConfig, state: StateDir, log: Log) -> None:
    from bootstrap.kubeadm.pkiutil import load_certificate
    from bootstrap.kubeadm.tokens import ca_cert_hash

    admin = state.admin_conf
    pin = ca_cert_hash(load_certificate(state.pki / "ca.crt"))
    endpoint = f"{config.endpoint.advertise_address}:{config.endpoint.bind_port}"
    log("")
    log("Your Kubernetes control-plane has initialized successfully!")
    log("")
    log("To start using your cluster, run:")
    log("")
    log(f"  export KUBECONFIG={admin}")
    log("")
    for spec in config.bootstrap_tokens:
        token = parse_token(spec.token)
        token_file = state.root / f"bootstrap-token-{token.id}"
        write_private(token_file, token.value.encode())  # the secret stays off the terminal log
        log(
            "Then you can join any number of worker nodes by running the following on each as root:"
        )
        log("")
        log(f'kubeadm join {endpoint} --token "$(cat {token_file})" \\')
        log(f"\t--discovery-token-ca-cert-hash {pin} ")


__all__ = [
    "addon_coredns",
    "addon_kube_proxy",
    "admin_client",
    "bootstrap_token",
    "cert",
    "control_plane",
    "etcd_local",
    "kubeconfig",
    "mark_control_plane",
    "show_join_command",
    "upload_kubeadm_config",
    "upload_kubelet_config",
    "wait_control_plane",
]
