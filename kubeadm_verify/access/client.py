"""A light client of one API server, made from a resolved ``Target``, for code that must not pay
for the official client's import (the bootstrap writes a handful of objects before a test can
start; importing ``kubernetes`` alone costs more than a phase).

It reads the kubeconfig through the same door as everything else (``kubeconfig.merged``, exec
plugins through ``execplugin``), keeps its credentials in memory (the client key is loaded into
the TLS context and never left on disk), and sends every request through ``rawhttp``: one
overall deadline over connect, headers and body, and a size cap. Answers are JSON objects
given as plain dicts; an HTTP error status, or no answer at all (status 0), is an
:class:`ApiError`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import tempfile
from pathlib import Path
from typing import Any, Self

import urllib3

from kubeadm_verify.access import rawhttp
from kubeadm_verify.access.connect import check_client_pair, with_exec_credentials
from kubeadm_verify.access.kubeconfig import Target, check_context, merged
from kubeadm_verify.errors import InputError
from kubeadm_verify.interrupts import deferred

REQUEST_DEADLINE_S = 10.0
"""A whole exchange (connect, headers, body); the bootstrap's objects take milliseconds."""


class ApiError(Exception):
    """The API server answered ``status`` (0: it did not answer at all) with ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class Client:
    """Authenticated JSON requests to one API server; paths are absolute API paths."""

    def __init__(
        self,
        server: str,
        ssl_context: ssl.SSLContext,
        token: str | None = None,
        token_file: Path | None = None,
        server_name: str | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.ssl_context = ssl_context
        self._token = token
        self._token_file = token_file
        self._server_name = server_name
        self._pool = self._pool_manager(threads=1)

    @classmethod
    def from_target(cls, target: Target) -> Self:
        """A client as the target's context says (its cluster, its user, its exec plugin)."""
        data = merged(target)
        context = check_context(data, target)
        where = f"kubeconfig {target.describe()}, context {context}"
        data = with_exec_credentials(data, context, where)
        entry = _named(data, "contexts", context, where)
        cluster = _named(data, "clusters", str(entry.get("cluster", "")), where)
        user = _named(data, "users", str(entry.get("user", "")), where)
        if not cluster.get("server"):
            raise InputError(f"{where}: the cluster has no server")
        if user.get("auth-provider") or user.get("username") or user.get("password"):
            # said, not ignored: a request sent without them would be anonymous
            raise InputError(f"{where}: auth-provider and basic-auth users are not supported here")
        token_file = user.get("tokenFile")
        return cls(
            str(cluster["server"]),
            _tls_context(cluster, user, where),
            token=user.get("token") or None,
            token_file=Path(token_file) if token_file else None,
            server_name=cluster.get("tls-server-name") or None,
        )

    @classmethod
    def from_file(cls, path: Path) -> Self:
        """A client as the current context of the kubeconfig at ``path``."""
        return cls.from_target(Target((path,), None))

    def _pool_manager(self, threads: int) -> urllib3.PoolManager:
        extra: dict[str, Any] = {}
        if self._server_name:
            extra["server_hostname"] = self._server_name
        if self.ssl_context.verify_mode == ssl.CERT_NONE:
            extra.update(cert_reqs=ssl.CERT_NONE, assert_hostname=False)
        # no proxy: a proxy from the environment must not see our credentials
        return urllib3.PoolManager(
            num_pools=2, maxsize=threads, ssl_context=self.ssl_context, **extra
        )

    def share_connections(self, threads: int) -> None:
        """Let ``threads`` threads share this client's connections without opening extras."""
        self._pool.clear()
        self._pool = self._pool_manager(threads)

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        token = self._token
        if self._token_file is not None:  # re-read on each use: the kubelet rotates it
            try:
                token = self._token_file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ApiError(0, f"cannot read token file {self._token_file}: {error}") from None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        deadline_s: float = REQUEST_DEADLINE_S,
    ) -> rawhttp.Answer:
        """One exchange, whole within ``deadline_s`` and at most ``rawhttp``'s cap; no answer
        at all is an :class:`ApiError` with status 0."""
        try:
            return rawhttp.request(
                self._pool,
                method,
                self.server + path,
                body=body,
                headers=self._headers(content_type),
                deadline_s=deadline_s,
                read_s=deadline_s,
            )
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ApiError(0, str(error)) from error

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
        timeout: float = REQUEST_DEADLINE_S,
    ) -> dict[str, Any]:
        """A JSON exchange: the answer as a dict, an error status as :class:`ApiError`."""
        payload = None if body is None else json.dumps(body).encode()
        answer = self.raw(
            method, path, payload, content_type if body is not None else None, timeout
        )
        text = answer.data.decode("utf-8", "replace")
        if answer.status >= 400:
            message = text.strip()
            with contextlib.suppress(ValueError, AttributeError):
                message = str(json.loads(text).get("message", message))
            raise ApiError(answer.status, message)
        if not answer.data:
            return {}
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ApiError(answer.status, f"{method} {path}: the answer is not JSON") from error
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


def _named(data: dict[str, Any], section: str, name: str, where: str) -> dict[str, Any]:
    for item in data.get(section) or []:
        if item.get("name") == name:
            return dict(item.get(section[:-1]) or {})
    raise InputError(f"{where}: no {section[:-1]} named {name!r}")


def _tls_context(cluster: dict[str, Any], user: dict[str, Any], where: str) -> ssl.SSLContext:
    """Verified as the kubeconfig says (its CA, or none if it skips verification), presenting
    the user's client certificate if it has one."""
    if cluster.get("insecure-skip-tls-verify"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        try:
            if cluster.get("certificate-authority-data"):
                pem = _decoded(cluster["certificate-authority-data"], "certificate-authority-data")
                context = ssl.create_default_context(cadata=pem.decode("ascii", "replace"))
            elif cluster.get("certificate-authority"):
                context = ssl.create_default_context(cafile=str(cluster["certificate-authority"]))
            else:
                context = ssl.create_default_context()
        except (ssl.SSLError, OSError, ValueError) as error:
            raise InputError(
                f"{where}: the certificate authority cannot be used: {error}"
            ) from None
    _load_client_pair(context, user, where)
    return context


def _decoded(value: object, field: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        raise InputError(f"{field} is not base64") from None


def _load_client_pair(context: ssl.SSLContext, user: dict[str, Any], where: str) -> None:
    """The client certificate and key into ``context``; inline data goes through a private
    temporary directory, removed at once (``load_cert_chain`` reads only files). An interrupt
    waits until it is removed: one landing inside the removal would leave the directory."""
    cert, key = user.get("client-certificate"), user.get("client-key")
    cert_data, key_data = user.get("client-certificate-data"), user.get("client-key-data")
    if not (cert or key or cert_data or key_data):
        return
    with deferred(), tempfile.TemporaryDirectory(prefix="kubeadm-verify-client-") as folder:
        if cert_data:
            cert = _private(Path(folder) / "client.crt", _decoded(cert_data, "client-certificate"))
        if key_data:
            key = _private(Path(folder) / "client.key", _decoded(key_data, "client-key-data"))
        check_client_pair(cert, key, where)
        context.load_cert_chain(str(cert), str(key))


def _private(path: Path, data: bytes) -> str:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return str(path)


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
    plural = kind.lower() + "s"  # every kind the bootstrap writes (Secret, ClusterRole, ...)
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    namespace = obj.get("metadata", {}).get("namespace")
    if namespace and kind not in _CLUSTER_SCOPED:
        return f"{prefix}/namespaces/{namespace}/{plural}"
    return f"{prefix}/{plural}"


__all__ = ["REQUEST_DEADLINE_S", "ApiError", "Client", "collection_path"]
