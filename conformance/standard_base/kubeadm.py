"""What kubeadm leaves in a cluster, read back: its configuration, tokens, cluster-info, RBAC.

The names and rules are kubeadm v1.37's (cmd/kubeadm/app/phases/{bootstraptoken,uploadconfig,
addons}) as test/e2e_kubeadm asserts them; which tokens may sign follows the bootstrap signer
(pkg/controller/bootstrap: a Secret of the token type, named after its token-id, with a secret,
``usage-bootstrap-signing: "true"`` and an expiration, if any, still in the future).
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, SECRET_PREFIX, SECRET_TYPE
from conformance.standard_base.kube import Kube, wait_for
from kubeadm_verify import yamlread

KUBE_SYSTEM = "kube-system"
KUBE_PUBLIC = "kube-public"
NODE_BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token"
BOOTSTRAPPERS = "system:bootstrappers"
NODES_GROUP = "system:nodes"
ANONYMOUS_USER = "system:anonymous"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
DEFAULT_DNS_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class TokenSecret:
    """A bootstrap-token Secret, decoded; ``secret`` is a credential and never printed."""

    name: str
    data: dict[str, str] = field(repr=False)
    type: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.data.get("token-id", "")

    @property
    def secret(self) -> str:
        return self.data.get("token-secret", "")

    def expired(self, now: datetime) -> bool:
        text = self.data.get("expiration")
        if not text:
            return False
        try:
            expiry = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return True  # the signer and the cleaner treat an unparseable expiration as expired
        return expiry <= now

    def can_sign(self, now: datetime) -> bool:
        return (
            self.type == SECRET_TYPE
            and self.name == f"{SECRET_PREFIX}{self.id}"
            and bool(self.id and self.secret)
            and self.data.get("usage-bootstrap-signing") == "true"
            and not self.expired(now)
        )

    @property
    def groups(self) -> list[str]:
        return [g for g in self.data.get("auth-extra-groups", "").split(",") if g]


def decode_secret(secret: Any) -> TokenSecret:
    data = {
        k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (secret.data or {}).items()
    }
    return TokenSecret(
        str(secret.metadata.name), data, str(secret.type or ""), dict(secret.metadata.labels or {})
    )


def token_secrets(kube: Kube) -> list[TokenSecret]:
    items = kube.core.list_namespaced_secret(
        KUBE_SYSTEM, field_selector=f"type={SECRET_TYPE}"
    ).items
    return [decode_secret(s) for s in items]


def signing_problems(
    cluster_info: dict[str, str], tokens: list[TokenSecret], now: datetime
) -> list[str]:
    """Why cluster-info's signatures do not match the tokens that may sign (empty: they do)."""
    from bootstrap.kubeadm.tokens import verify_detached_signature

    content = cluster_info.get("kubeconfig", "")
    signers = {t.id: t for t in tokens if t.can_sign(now)}
    signatures = {
        k[len(JWS_KEY_PREFIX) :]: v for k, v in cluster_info.items() if k.startswith(JWS_KEY_PREFIX)
    }
    problems = [
        f"token {i} may sign but cluster-info has no {JWS_KEY_PREFIX}{i}"
        for i in sorted(signers.keys() - signatures.keys())
    ]
    problems += [
        f"{JWS_KEY_PREFIX}{i} belongs to no valid signing token"
        for i in sorted(signatures.keys() - signers.keys())
    ]
    problems += [
        f"{JWS_KEY_PREFIX}{i} is not a valid HS256 signature of the kubeconfig by token {i}"
        for i in sorted(signers.keys() & signatures.keys())
        if not verify_detached_signature(content, i, signers[i].secret, signatures[i])
    ]
    return problems


def token_secret_manifest(
    token_id: str,
    token_secret: str,
    labels: dict[str, str],
    expires: datetime,
    usages: tuple[str, ...],
    groups: tuple[str, ...] = (NODE_BOOTSTRAP_GROUP,),
) -> dict[str, Any]:
    data = {
        "token-id": token_id,
        "token-secret": token_secret,
        "expiration": expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": "made by a kubeadm-verify test",
    }
    data.update({f"usage-bootstrap-{u}": "true" for u in usages})
    if groups:
        data["auth-extra-groups"] = ",".join(groups)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": SECRET_TYPE,
        "metadata": {
            "name": f"{SECRET_PREFIX}{token_id}",
            "namespace": KUBE_SYSTEM,
            "labels": labels,
        },
        "stringData": data,
    }


ROOT_CA_WAIT_S = 15.0
"""How long a namespace may wait for its ``kube-root-ca.crt``: the publisher writes it when the
namespace appears, a moment later on a busy control plane."""


def root_ca(kube: Kube, namespace: str) -> bytes:
    """The ``kube-root-ca.crt`` the root-CA publisher keeps in every namespace."""

    def published() -> bytes | None:
        try:
            data = kube.core.read_namespaced_config_map("kube-root-ca.crt", namespace).data or {}
        except client.ApiException as exc:
            raise AssertionError(
                f"{namespace}/kube-root-ca.crt: HTTP {exc.status} (is the controller-manager's "
                "root-ca-certificate-publisher running?)"
            ) from exc
        assert data.get("ca.crt"), f"{namespace}/kube-root-ca.crt holds no ca.crt"
        return str(data["ca.crt"]).encode()

    return wait_for(f"{namespace}/kube-root-ca.crt", published, ROOT_CA_WAIT_S)


def cluster_configuration(kube: Kube) -> dict[str, Any]:
    """kubeadm-config's ClusterConfiguration, parsed (an assertion error when it is not there)."""
    try:
        config_map = kube.core.read_namespaced_config_map("kubeadm-config", KUBE_SYSTEM)
    except client.ApiException as exc:
        raise AssertionError(f"kube-system/kubeadm-config: HTTP {exc.status}") from exc
    text = (config_map.data or {}).get("ClusterConfiguration")
    assert text, "kubeadm-config has no ClusterConfiguration key"
    parsed = yamlread.load(text)
    assert isinstance(parsed, dict), "kubeadm-config's ClusterConfiguration is not a YAML mapping"
    return parsed


def networking(config: dict[str, Any]) -> dict[str, str]:
    net = config.get("networking") or {}
    return {
        "serviceSubnet": str(net.get("serviceSubnet") or DEFAULT_SERVICE_SUBNET),
        "podSubnet": str(net.get("podSubnet") or ""),
        "dnsDomain": str(net.get("dnsDomain") or DEFAULT_DNS_DOMAIN),
    }


def subnets(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]


def ip_within(ip: str, subnet_text: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in net for net in subnets(subnet_text) if net.version == address.version)


def cidr_within(cidr: str, subnet_text: str) -> bool:
    inner = ipaddress.ip_network(cidr, strict=False)
    return any(
        inner.version == net.version and inner.subnet_of(net)  # type: ignore[arg-type]
        for net in subnets(subnet_text)
    )


def indexed_ip(subnet_text: str, index: int) -> str:
    """kubeadm's ``GetIndexedIP`` on the first subnet: .1 is the API, .10 is DNS."""
    return str(subnets(subnet_text)[0].network_address + index)


def binding_has(
    binding: Any, kind: str, name: str, role: str, namespace: str | None = None
) -> list[str]:
    """Why ``binding`` does not bind ``kind/name`` to ``role`` (empty when it does)."""
    problems = []
    subjects = binding.subjects or []
    if not any(
        s.kind == kind and s.name == name and (namespace is None or s.namespace == namespace)
        for s in subjects
    ):
        found = [f"{s.kind}/{s.name}" for s in subjects]
        problems.append(f"{binding.metadata.name} does not bind {kind} {name} (it binds {found})")
    if binding.role_ref.name != role:
        problems.append(f"{binding.metadata.name} refers to {binding.role_ref.name}, not {role}")
    return problems


TOKEN_KNOWN_EVERYWHERE_S = 15.0
"""How long a new bootstrap token may still be refused by some API server after one has taken
it: each reads token Secrets from its own cache."""


def answers_to_token(kube: Kube, token: str, paths: tuple[str, ...]) -> dict[str, int]:
    """The HTTP status of a GET of each of ``paths`` with the bootstrap ``token``. Behind a load
    balancer (several control planes) the request may reach an API server whose cache does not
    hold the token yet although another's took it, so a 401 is asked again, all within
    ``TOKEN_KNOWN_EVERYWHERE_S``; one that stays is what the failure names."""

    def none_refused() -> dict[str, int]:
        statuses = {path: kube.raw("GET", path, bearer=token).status for path in paths}
        refused = [path for path, status in statuses.items() if status == 401]
        assert not refused, (
            f"the token is refused (HTTP 401) for {refused}: an API server behind the endpoint "
            "does not know it (its cache lags, or it runs without --enable-bootstrap-token-auth)"
        )
        return statuses

    found: dict[str, int] = wait_for(
        "every API server to take the new bootstrap token", none_refused, TOKEN_KNOWN_EVERYWHERE_S
    )
    return found
