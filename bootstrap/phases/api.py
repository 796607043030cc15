"""A small REST client for the phases that write to the cluster, from one of our kubeconfigs.

The phases create a handful of objects given as plain dicts (``bootstrap.kubeadm.objects``); a thin
``requests`` session does that with kubeadm's create-or-update semantics and no import of the
official client, whose import alone costs more than a phase (the fixtures, which hand a client to
tests, use the official one). Credentials come from the kubeconfig kubeadm would use
(``admin.conf``, or ``super-admin.conf`` to bootstrap the admin binding), written once to
``tmp/`` as 0600 files because ``requests`` takes certificates only as files.
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from bootstrap.kubeadm.files import write_private
from bootstrap.runtime.state import StateDir
from kubeadm_verify import yamlread
from kubeadm_verify.errors import BootstrapError

API_TIMEOUT = 60.0
"""kubeadm's ``KubernetesAPICall`` timeout (1m), retried every 500 ms."""
RETRY_INTERVAL = 0.5
_RETRIABLE = (500, 502, 503, 504, 429)
T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


def _decode(value: object) -> bytes:
    return base64.b64decode(str(value))


def _entry(config: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for item in config.get(kind) or []:
        if item.get("name") == name:
            return dict(item.get(kind[:-1]) or {})
    raise BootstrapError(f"kubeconfig has no {kind[:-1]} named {name!r}")


class ApiClient:
    """Authenticated JSON requests to one apiserver; paths are absolute API paths."""

    def __init__(
        self, server: str, ca_file: Path, cert_file: Path | None = None, token: str | None = None
    ) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.verify = str(ca_file)
        self.session.trust_env = False  # a proxy from the environment must not see our traffic
        if cert_file is not None:
            self.session.cert = str(cert_file)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def share_connections(self, threads: int) -> None:
        """Let ``threads`` threads share this client's connections (requests keeps 10)."""
        from requests.adapters import HTTPAdapter

        self.session.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=threads))

    @classmethod
    def from_kubeconfig(cls, state: StateDir, name: str = "admin") -> ApiClient:
        """A client as the user of ``<state>/<name>.conf`` (its current context)."""
        path = state.kubeconfig(name)
        try:
            config = yamlread.load(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise BootstrapError(f"cannot read kubeconfig {path}: {error.strerror}") from error
        context = _entry(config, "contexts", str(config.get("current-context", "")))
        cluster = _entry(config, "clusters", str(context.get("cluster", "")))
        user = _entry(config, "users", str(context.get("user", "")))
        ca_file = state.tmp / f"{name}-ca.crt"
        write_private(ca_file, _decode(cluster["certificate-authority-data"]))
        cert_file = None
        if "client-certificate-data" in user:
            cert_file = state.tmp / f"{name}-client.pem"
            write_private(
                cert_file,
                _decode(user["client-certificate-data"]) + _decode(user["client-key-data"]),
            )
        return cls(str(cluster["server"]), ca_file, cert_file, user.get("token"))

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        headers = {"Content-Type": content_type} if body is not None else {}
        try:
            response = self.session.request(
                method, self.server + path, json=body, headers=headers, timeout=timeout
            )
        except requests.RequestException as error:
            raise ApiError(0, str(error)) from error
        if response.status_code >= 400:
            message = response.text.strip()
            with contextlib.suppress(ValueError, AttributeError):
                message = str(response.json().get("message", message))
            raise ApiError(response.status_code, message)
        if not response.content:
            return {}
        data = response.json()
        return data if isinstance(data, dict) else {}

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return self.get(path)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def create_or_update(self, obj: dict[str, Any]) -> dict[str, Any]:
        """kubeadm's ``CreateOrUpdate``: POST, and on AlreadyExists PUT over it."""
        collection, name = collection_path(obj), obj["metadata"]["name"]
        try:
            return self.request("POST", collection, obj)
        except ApiError as error:
            if error.status != 409:
                raise
        current = self.get(f"{collection}/{name}")
        updated = dict(obj)
        updated["metadata"] = {
            **obj["metadata"],
            "resourceVersion": current["metadata"]["resourceVersion"],
        }
        return self.request("PUT", f"{collection}/{name}", updated)

    def create_if_absent(self, obj: dict[str, Any]) -> bool:
        """kubeadm's ``CreateOrRetain``: POST, and leave an existing object as it is."""
        try:
            self.request("POST", collection_path(obj), obj)
        except ApiError as error:
            if error.status == 409:
                return False
            raise
        return True

    def patch(self, path: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", path, patch, "application/strategic-merge-patch+json")


_CORE_PLURALS = {
    "Secret": "secrets",
    "ConfigMap": "configmaps",
    "ServiceAccount": "serviceaccounts",
    "Service": "services",
    "Namespace": "namespaces",
    "Node": "nodes",
    "Pod": "pods",
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "Deployment": "deployments",
    "DaemonSet": "daemonsets",
    "CertificateSigningRequest": "certificatesigningrequests",
}
_CLUSTER_SCOPED = {
    "Namespace",
    "Node",
    "ClusterRole",
    "ClusterRoleBinding",
    "CertificateSigningRequest",
}


def collection_path(obj: dict[str, Any]) -> str:
    """``/api/v1/namespaces/kube-system/secrets`` for a Secret in kube-system, and so on."""
    api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
    plural = _CORE_PLURALS.get(kind) or kind.lower() + "s"
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    namespace = obj.get("metadata", {}).get("namespace")
    if namespace and kind not in _CLUSTER_SCOPED:
        return f"{prefix}/namespaces/{namespace}/{plural}"
    return f"{prefix}/{plural}"


def retry(action: Callable[[], T], what: str, timeout: float = API_TIMEOUT) -> T:
    """Run ``action`` until it stops failing with a transient error, as kubeadm's API calls do."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except ApiError as error:
            transient = error.status in _RETRIABLE or error.status == 0
            if not transient or time.monotonic() >= deadline:
                raise BootstrapError(f"{what}: {error}") from error
        time.sleep(RETRY_INTERVAL)


__all__ = ["API_TIMEOUT", "ApiClient", "ApiError", "collection_path", "retry"]
