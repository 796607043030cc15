"""kubeadm's security defaults, observed from outside: what ``kubeadm init`` configures on purpose.

Each test here stands for items of :mod:`conformance.standard_base.kubeadm_defaults` and looks
where the default shows, never at a flag: a node's identity against the authorizer and the
admission chain (impersonated by cluster-admin, as the API server authorises an impersonated
request exactly as the user's own), a ServiceAccount token's claims against the issuer's
published keys and against TokenReview, a bound token's life after its pod, what the API server
publishes for aggregated servers to trust, what it admits.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (a token, API objects).
"""

from __future__ import annotations

import json
import secrets
import socket
from typing import Any

import pytest
from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base import kubeadm as k
from conformance.standard_base import localplane, pki, portprobe, satoken
from conformance.standard_base.kube import Impersonation, Kube, RawResponse, server_said, wait_for
from conformance.standard_base.kubeletapi import endpoint_of
from conformance.standard_base.marker import Record, standard_base
from conformance.standard_base.nodelist import first_nodes, real_node_objects
from conformance.standard_base.nodes import is_schedulable
from kubeadm_verify.runner import WARNING_PROPERTY

NODES_GROUP = ("system:nodes", "system:authenticated")
PROBE_LABEL = "kubeadm-verify.io/node-restriction-probe"
RESTRICTED_LABEL = "node-restriction.kubernetes.io/kubeadm-verify-probe"
TOKEN_SECONDS = 600  # the shortest expiry TokenRequest grants
PROBE_AUDIENCE = "kubeadm-verify.io/bound-token-probe"
FRONT_PROXY_NAME = "front-proxy-client"


def _node_identity(name: str) -> Impersonation:
    """How the Node authorizer knows a kubelet: ``system:node:<name>`` in ``system:nodes``."""
    return Impersonation(f"system:node:{name}", NODES_GROUP)


def _a_node(kube: Kube) -> str:
    nodes = first_nodes(kube, 1, is_schedulable)
    assert nodes, "no schedulable node to stand for (the nodes need should have said so)"
    return str(nodes[0].metadata.name)


def _patch_node(kube: Kube, node: str, who: Impersonation, labels: dict[str, str]) -> RawResponse:
    """A dry-run patch of ``node``'s labels as ``who``: admission runs, nothing is stored."""
    body = json.dumps({"metadata": {"labels": labels}}).encode()
    return kube.raw(
        "PATCH",
        f"/api/v1/nodes/{node}",
        body=body,
        impersonate=who,
        query=[("dryRun", "All")],
        headers={"Content-Type": "application/merge-patch+json"},
    )


@standard_base(id="kubeadm/node-authorizer", needs=["cluster-admin", "nodes"], timeout=20)
def test_node_authorizer(kube: Kube, kv_namespace: str) -> None:
    """A node's identity (``system:node:<name>``) reads its own Node, and a Secret only once a pod
    bound to that node uses it: kubeadm's ``--authorization-mode=Node,RBAC``, the Node part."""
    node = _a_node(kube)
    who = _node_identity(node)
    own = kube.raw("GET", f"/api/v1/nodes/{node}", impersonate=who)
    assert own.status == 200, (
        f"node {node} may not read its own Node (HTTP {own.status}: {server_said(own.body)}): "
        "RBAC grants system:nodes nothing, only the Node authorizer does (is Node missing from "
        "--authorization-mode?)"
    )
    secret = b.unique("node-authz")
    kube.core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": secret}, "stringData": {"probe": "node-authz"}}
    )
    path = f"/api/v1/namespaces/{kv_namespace}/secrets/{secret}"
    unused = kube.raw("GET", path, impersonate=who)
    assert unused.status == 403, (
        f"node {node} may read a Secret no pod on it uses (HTTP {unused.status}): the authorizer "
        "does not confine nodes to their pods' objects (AlwaysAllow, or an RBAC grant?)"
    )
    account = "node-authz"
    kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": account}})
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            "node-authz",
            None,
            nodeName=node,
            serviceAccountName=account,
            automountServiceAccountToken=False,
            volumes=[{"name": "probe", "secret": {"secretName": secret}}],
        ),
    )

    def readable() -> bool:
        got = kube.raw("GET", path, impersonate=who)
        assert got.status == 200, f"still HTTP {got.status}"
        return True

    wait_for(
        f"node {node} to read the Secret a pod bound to it uses (the Node authorizer's graph)",
        readable,
        12,
    )


@standard_base(id="kubeadm/node-restriction", needs=["cluster-admin", "nodes"], timeout=15)
def test_node_restriction(kube: Kube) -> None:
    """A node may label its own Node, but not another node's, and never under
    ``node-restriction.kubernetes.io/``: kubeadm's ``--enable-admission-plugins=NodeRestriction``
    (dry-run patches: nothing is changed)."""
    node = _a_node(kube)
    own = _patch_node(kube, node, _node_identity(node), {PROBE_LABEL: "own"})
    assert own.status == 200, (
        f"node {node} may not label its own Node (HTTP {own.status}: {server_said(own.body)}): "
        "without the Node authorizer no node is allowed to, so NodeRestriction cannot be seen"
    )
    restricted = _patch_node(kube, node, _node_identity(node), {RESTRICTED_LABEL: "own"})
    assert restricted.status == 403, (
        f"node {node} set a {RESTRICTED_LABEL.split('/')[0]}/ label on itself (HTTP "
        f"{restricted.status}): is the NodeRestriction admission plugin off?"
    )
    other = _node_identity(f"kubeadm-verify-other-{secrets.token_hex(3)}")
    foreign = _patch_node(kube, node, other, {PROBE_LABEL: "foreign"})
    assert foreign.status == 403, (
        f"another node may modify Node {node} (HTTP {foreign.status}): is the NodeRestriction "
        "admission plugin off?"
    )


def _issuer(kube: Kube) -> str:
    """kubeadm's ``--service-account-issuer``: ``https://kubernetes.default.svc.<dnsDomain>``."""
    return (
        f"https://kubernetes.default.svc.{k.networking(k.cluster_configuration(kube))['dnsDomain']}"
    )


@standard_base(id="kubeadm/service-account-issuer", needs=["cluster-admin"], timeout=15)
def test_service_account_issuer(kube: Kube, kv_namespace: str) -> None:
    """ServiceAccount tokens are issued by ``https://kubernetes.default.svc.<dnsDomain>``, the
    issuer's discovery document says so, and its published keys verify the token's signature
    (kubeadm's ``--service-account-issuer`` and ``sa.key``/``sa.pub`` pair)."""
    name = b.unique("issuer")
    kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": name}})
    token = str(
        kube.core.create_namespaced_service_account_token(
            name, kv_namespace, {"spec": {"expirationSeconds": TOKEN_SECONDS}}
        ).status.token
    )
    header, claims = satoken.parts(token)
    expected = _issuer(kube)
    assert claims.get("iss") == expected, (
        f"tokens are issued by {claims.get('iss')!r}, not kubeadm's {expected!r} (is "
        "--service-account-issuer overridden?)"
    )
    discovery = kube.raw_json("/.well-known/openid-configuration")
    assert discovery.get("issuer") == expected, (
        f"the discovery document names issuer {discovery.get('issuer')!r}, not {expected!r}"
    )
    keys = kube.raw_json("/openid/v1/jwks", accept="application/jwk-set+json").get("keys") or []
    matching = [key for key in keys if key.get("kid") == header.get("kid")]
    assert matching, f"no published key has the token's kid ({len(keys)} keys published)"
    assert any(satoken.verifies(token, key) for key in matching), (
        "the published key with the token's kid does not verify its signature"
    )


def _review(kube: Kube, token: str, audiences: list[str] | None = None) -> Any:
    spec: dict[str, Any] = {"token": token}
    if audiences:
        spec["audiences"] = audiences
    return kube.authn.create_token_review({"spec": spec}).status


def _bearer_status(kube: Kube, token: str, path: str) -> int:
    return kube.raw("GET", path, bearer=token).status


def _bound_pod(kube: Kube, namespace: str, account: str) -> Any:
    """A pod that only exists (no node matches it): a token can be bound to it."""
    return kube.core.create_namespaced_pod(
        namespace,
        b.pod(
            "bound-token",
            None,
            serviceAccountName=account,
            automountServiceAccountToken=False,
            nodeSelector={"kubeadm-verify.io/no-such-node": "true"},
        ),
    )


def _pod_token(
    kube: Kube, namespace: str, account: str, pod: Any, audiences: list[str] | None = None
) -> str:
    spec: dict[str, Any] = {
        "expirationSeconds": TOKEN_SECONDS,
        "boundObjectRef": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": pod.metadata.name,
            "uid": pod.metadata.uid,
        },
    }
    if audiences:
        spec["audiences"] = audiences
    request = kube.core.create_namespaced_service_account_token(account, namespace, {"spec": spec})
    return str(request.status.token)


@standard_base(id="auth/bound-service-account-token", needs=["cluster-admin"], timeout=25)
def test_bound_service_account_token(kube: Kube, kv_namespace: str) -> None:
    """A token bound to a pod carries its audience and expiry, authenticates only for that
    audience, may do only what RBAC grants its ServiceAccount, and dies with the pod."""
    account = "bound"
    kube.core.create_namespaced_service_account(kv_namespace, {"metadata": {"name": account}})
    pod = _bound_pod(kube, kv_namespace, account)
    probe = _pod_token(kube, kv_namespace, account, pod, [PROBE_AUDIENCE])
    _, claims = satoken.parts(probe)
    assert claims.get("aud") == [PROBE_AUDIENCE], f"the token's audience is {claims.get('aud')}"
    lifetime = int(claims.get("exp", 0)) - int(claims.get("iat", 0))
    assert abs(lifetime - TOKEN_SECONDS) <= 1, f"the token lives {lifetime} s, not {TOKEN_SECONDS}"
    review = _review(kube, probe, [PROBE_AUDIENCE])
    assert review.authenticated, f"the bound token does not authenticate: {review.error}"
    user = f"system:serviceaccount:{kv_namespace}:{account}"
    assert review.user.username == user, f"it authenticates as {review.user.username}"
    bound_to = (review.user.extra or {}).get("authentication.kubernetes.io/pod-name")
    assert bound_to == [pod.metadata.name], f"the review names pod {bound_to}, not the bound one"
    assert not _review(kube, probe).authenticated, (
        "a token for another audience authenticates to the API server"
    )
    token = _pod_token(kube, kv_namespace, account, pod)
    _rbac_confines(kube, kv_namespace, account, token)
    kube.core.delete_namespaced_pod(pod.metadata.name, kv_namespace, grace_period_seconds=0)
    wait_for(
        "the token to stop authenticating once its pod is deleted",
        lambda: not _review(kube, token).authenticated,
        10,
    )


def _rbac_confines(kube: Kube, namespace: str, account: str, token: str) -> None:
    configmaps = f"/api/v1/namespaces/{namespace}/configmaps"
    secrets_path = f"/api/v1/namespaces/{namespace}/secrets"
    assert _bearer_status(kube, token, configmaps) == 403, (
        "a ServiceAccount no RBAC rule grants anything may list configmaps"
    )
    kube.rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "bound-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
        },
    )
    kube.rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "bound-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "bound-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    )
    wait_for(
        "the RoleBinding to let the token list configmaps",
        lambda: _bearer_status(kube, token, configmaps) == 200,
        10,
    )
    for path in (secrets_path, "/api/v1/namespaces/kube-system/configmaps", "/api/v1/nodes"):
        got = _bearer_status(kube, token, path)
        assert got == 403, f"the token may GET {path} (HTTP {got}), which no rule grants"


def _json_list(data: dict[str, str], key: str) -> Any:
    try:
        return json.loads(data.get(key, "null"))
    except ValueError:
        return data.get(key)


@standard_base(id="kubeadm/front-proxy-trust", needs=["cluster-admin"], timeout=15)
def test_front_proxy_trust(kube: Kube) -> None:
    """Aggregated API servers are told to trust identity headers only from ``front-proxy-client``
    certificates of a CA of their own, and the API server ignores such headers from anyone else
    (kubeadm's ``--requestheader-*`` and front-proxy PKI)."""
    data = (
        kube.core.read_namespaced_config_map(
            "extension-apiserver-authentication", k.KUBE_SYSTEM
        ).data
        or {}
    )
    wanted = {
        "requestheader-allowed-names": [FRONT_PROXY_NAME],
        "requestheader-username-headers": ["X-Remote-User"],
        "requestheader-group-headers": ["X-Remote-Group"],
        "requestheader-extra-headers-prefix": ["X-Remote-Extra-"],
    }
    wrong = {
        key: _json_list(data, key)
        for key, value in wanted.items()
        if _json_list(data, key) != value
    }
    assert not wrong, f"the API server publishes {wrong} for aggregated servers, not kubeadm's"
    proxy_cas = pki.load_pem_certs(data.get("requestheader-client-ca-file", "").encode())
    client_cas = pki.load_pem_certs(data.get("client-ca-file", "").encode())
    assert proxy_cas, "no requestheader-client-ca-file is published: front-proxy is not set up"
    shared = {c.subject.rfc4514_string() for c in proxy_cas} & {
        c.subject.rfc4514_string() for c in client_cas
    }
    assert not shared, (
        f"the front proxy's CA is also the client CA ({shared}): any client "
        "certificate could assert identities"
    )
    response = kube.raw(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        body=b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
        headers={
            "Content-Type": "application/json",
            "X-Remote-User": "kubeadm-verify-intruder",
            "X-Remote-Group": "system:masters",
        },
    )
    assert response.status == 201, f"SelfSubjectReview: HTTP {response.status}"
    name = response.json()["status"]["userInfo"].get("username")
    assert name != "kubeadm-verify-intruder", (
        "the API server took X-Remote-User from a client that is not the front proxy"
    )


@standard_base(id="kubeadm/privileged-pods-allowed", needs=["cluster-admin"], timeout=15)
def test_privileged_pods_allowed(kube: Kube, kv_namespace: str) -> None:
    """A privileged container is admitted (dry run): kubeadm's ``--allow-privileged=true``, on
    which its kube-proxy DaemonSet depends."""
    privileged = b.container(securityContext={"privileged": True})
    try:
        kube.core.create_namespaced_pod(
            kv_namespace, b.pod("privileged", None, privileged), dry_run="All"
        )
    except client.ApiException as exc:
        raise AssertionError(
            f"a privileged pod is refused (HTTP {exc.status}: {server_said(exc.body)}): "
            "kube-proxy cannot run (is --allow-privileged false?)"
        ) from None


CONTROLLER_ACCOUNTS = ("replicaset-controller", "deployment-controller", "node-controller")
"""Controllers of ``--controllers=*`` that every kubeadm control plane runs, each of which acts as
the ServiceAccount named after it."""


@standard_base(id="kubeadm/controller-service-accounts", needs=["cluster-admin"], timeout=15)
def test_controller_service_accounts(kube: Kube) -> None:
    """The controller-manager acts as one ServiceAccount per controller, each bound to its own
    ``system:controller:<name>`` role: kubeadm's ``--use-service-account-credentials=true``."""
    present = {
        sa.metadata.name for sa in kube.core.list_namespaced_service_account(k.KUBE_SYSTEM).items
    }
    missing = [name for name in CONTROLLER_ACCOUNTS if name not in present]
    assert not missing, (
        f"kube-system has no ServiceAccount for {missing}: the controllers act as the "
        "controller-manager's own user (is --use-service-account-credentials off?)"
    )
    problems: list[str] = []
    for name in CONTROLLER_ACCOUNTS:
        role = f"system:controller:{name}"
        problems += k.binding_has(
            kube.rbac.read_cluster_role_binding(role), "ServiceAccount", name, role, k.KUBE_SYSTEM
        )
    assert not problems, "; ".join(problems)


def _plane(kube: Kube) -> localplane.Plane:
    """This cluster's control plane on this host; skipped when it runs elsewhere."""
    try:
        return localplane.find(kube.host)
    except localplane.ElsewhereError as exc:
        pytest.skip(
            f"the control plane does not run where the suite runs ({exc}): its local "
            "ports cannot be observed from here"
        )
    except localplane.UnattributedError as exc:
        raise AssertionError(
            f"cannot tell which process holds the control plane's ports: {exc}"
        ) from None


def _secure_port(kube: Kube, name: str) -> None:
    """kubeadm's ``--bind-address=127.0.0.1`` and delegated authentication and authorisation."""
    component = _plane(kube).component(name)
    exposed = [str(listener) for listener in component.listeners if not listener.loopback]
    assert not exposed, (
        f"{name} listens on {exposed}, beyond the loopback: kubeadm binds it to "
        "127.0.0.1 (--bind-address)"
    )
    assert component.listeners, f"{name} (pid {component.pid}) listens on no TCP port"
    port = component.listeners[0]
    health = portprobe.https_status(port, "/healthz")
    assert health == 200, (
        f"{name}'s /healthz at {port} answers {health} to an anonymous request: "
        "kubeadm's liveness probe asks it so"
    )
    anonymous = portprobe.https_status(port, "/metrics")
    assert anonymous in (401, 403), (
        f"{name}'s /metrics at {port} answers {anonymous} to an anonymous request, not 401/403"
    )
    admin = portprobe.https_status(port, "/metrics", kube.api_client.configuration)
    assert admin == 200, (
        f"{name}'s /metrics at {port} answers {admin} to the cluster's admin: it does not ask "
        "the API server who is calling and what they may do (--authentication-kubeconfig, "
        "--authorization-kubeconfig)"
    )


@standard_base(id="kubeadm/controller-manager-port", needs=["cluster-admin"], timeout=15)
def test_controller_manager_port(kube: Kube) -> None:
    """The controller-manager's port listens on the loopback only, answers /healthz to anyone
    and /metrics only to whom the API server authorises (seen from its host)."""
    _secure_port(kube, localplane.CONTROLLER_MANAGER)


@standard_base(id="kubeadm/scheduler-port", needs=["cluster-admin"], timeout=15)
def test_scheduler_port(kube: Kube) -> None:
    """The scheduler's port listens on the loopback only, answers /healthz to anyone and
    /metrics only to whom the API server authorises (seen from its host)."""
    _secure_port(kube, localplane.SCHEDULER)


@standard_base(id="kubeadm/etcd-client-certificates", needs=["cluster-admin"], timeout=15)
def test_etcd_client_certificates(kube: Kube) -> None:
    """etcd lets no client or peer in without a certificate, and serves plain HTTP (metrics) on
    the loopback only: kubeadm's ``--client-cert-auth`` and ``--peer-client-cert-auth`` (seen
    from its host)."""
    if (k.cluster_configuration(kube).get("etcd") or {}).get("external"):
        pytest.skip("the cluster uses an external etcd: kubeadm neither runs nor configures it")
    etcd = _plane(kube).component(localplane.ETCD)
    answers = {
        str(listener): (listener, portprobe.without_client_certificate(listener))
        for listener in etcd.listeners
    }
    let_in = [where for where, (_, answer) in answers.items() if answer == portprobe.ANSWERED]
    assert not let_in, (
        f"etcd answers a client without a certificate at {let_in} (is "
        "--client-cert-auth or --peer-client-cert-auth off?)"
    )
    plain = [
        where
        for where, (listener, answer) in answers.items()
        if answer == portprobe.PLAIN and not listener.loopback
    ]
    assert not plain, f"etcd serves plain HTTP beyond the loopback at {plain}"
    assert any(answer == portprobe.REFUSED for _, answer in answers.values()), (
        f"etcd (pid {etcd.pid}) has no TLS port that refused: it listens on {sorted(answers)}"
    )


READ_ONLY_PORT = 10255  # the kubelet's unauthenticated HTTP port, when readOnlyPort sets it


def _tcp(address: str, port: int) -> str:
    """``open`` (and what it answered), ``closed`` (refused) or ``unreachable``."""
    try:
        with socket.create_connection((address, port), timeout=portprobe.TIMEOUT_S) as conn:
            conn.sendall(b"GET /pods HTTP/1.0\r\n\r\n")
            return "open: " + conn.recv(12).decode("latin-1").strip()
    except ConnectionRefusedError:
        return "closed"
    except OSError as exc:
        return f"unreachable ({type(exc).__name__})"


@standard_base(id="node/kubelet-read-only-port", needs=["real-kubelet"], timeout=15)
def test_kubelet_read_only_port(kube: Kube, record_property: Record) -> None:
    """No real node's kubelet serves its unauthenticated read-only port (10255) on the node's
    address, where its authenticated port answers: kubeadm's ``readOnlyPort: 0``."""
    open_ports, unknown = [], []
    for node in real_node_objects(kube):
        found = endpoint_of(node)
        if isinstance(found, str):
            unknown.append(found)
            continue
        secure = _tcp(found.address, found.port)
        if secure.startswith("unreachable"):
            unknown.append(f"{found}: {secure} from where the suite runs")
            continue
        answer = _tcp(found.address, READ_ONLY_PORT)
        if answer.startswith("open"):
            open_ports.append(f"{found.node} ({found.address}:{READ_ONLY_PORT}) {answer}")
    assert not open_ports, f"kubelets serve their read-only port to anyone: {open_ports}"
    if unknown:
        record_property(WARNING_PROPERTY, "not judged: " + "; ".join(unknown))
