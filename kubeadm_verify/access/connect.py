"""Talking to the cluster a ``Target`` names: the client, the checks before a run, failures.

The client is built from the merged kubeconfig without touching the kubernetes library's global
default configuration; TLS verification stays as the kubeconfig says (on unless it sets
``insecure-skip-tls-verify``), requests are never retried and time out quickly. What can go
wrong is sorted once, here, into the two errors the CLI knows: the input is bad (malformed file,
unknown context, a client key that is not the certificate's, an exec plugin that fails:
:class:`InputError`) or the cluster is (unreachable, TLS verification failed, credentials
rejected, not allowed to do what the suite does: :class:`ClusterError`). Each is one line that
names the server or the file, never a credential.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import urllib3

from kubeadm_verify.access import execplugin, rawhttp
from kubeadm_verify.access.kubeconfig import Target, check_context, merged
from kubeadm_verify.deadline import watch_pools
from kubeadm_verify.errors import ClusterError, InputError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0


def load(target: Target) -> tuple[Any, str]:
    """An ``ApiClient`` for the target (no retries, short timeouts) and the context name."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    from kubeadm_verify.access.typedcalls import bound_typed_calls

    data = merged(target)
    context = check_context(data, target)
    where = f"kubeconfig {target.describe()}, context {context}"
    data = with_exec_credentials(data, context, where)
    configuration = client.Configuration()
    configuration.retries = False
    try:
        loader = kube_config.kube_config.KubeConfigLoader(config_dict=data, active_context=context)
        loader.load_and_set(configuration)
    except (ConfigException, ValueError, TypeError, OSError) as exc:
        raise InputError(f"{where}: {exc}") from exc
    check_client_pair(configuration.cert_file, configuration.key_file, where)
    api_client = client.ApiClient(configuration)
    watch_pools(api_client.rest_client.pool_manager)  # every call gets one overall deadline
    return bound_typed_calls(api_client), context


def with_exec_credentials(data: dict[str, Any], context: str, where: str) -> dict[str, Any]:
    """``data`` with the context's exec plugin run (bounded: ``execplugin``) and replaced by the
    token or client certificate it returned, so the client never runs it unbounded itself.

    As the client does, a user with an auth-provider or a token of its own never runs its plugin.
    A plugin that fails, or gives neither a token nor a certificate, is one ``InputError``.
    """
    entry = next(c for c in data["contexts"] if c.get("name") == context).get("context") or {}
    users = list(data.get("users") or [])
    index = next((i for i, u in enumerate(users) if u.get("name") == entry.get("user")), None)
    if index is None:
        return data
    user = dict(users[index].get("user") or {})
    plugin = user.get("exec")
    if not isinstance(plugin, dict) or any(
        user.get(k) for k in ("auth-provider", "token", "tokenFile")
    ):
        return data
    cluster = next(
        (
            c.get("cluster")
            for c in data.get("clusters") or []
            if c.get("name") == entry.get("cluster")
        ),
        None,
    )
    try:
        status = execplugin.run(plugin, cluster if isinstance(cluster, dict) else None)
    except execplugin.ExecFailed as exc:
        raise InputError(
            f"{where}: the exec credential plugin {plugin.get('command')} failed: {exc}"
        ) from None
    credentials = execplugin.as_user(status)
    if not credentials:
        raise InputError(
            f"{where}: the exec credential plugin {plugin.get('command')} gave "
            f"neither a token nor a client certificate (fields: "
            f"{', '.join(sorted(status)) or 'none'})"
        )
    del user["exec"]
    users[index] = {**users[index], "user": {**user, **credentials}}
    return {**data, "users": users}


def anonymous_pool(configuration: Any) -> urllib3.PoolManager:
    """A pool that trusts what the client's configuration (the kubeconfig) trusts but presents
    no client certificate: for requests that must reach the server anonymously."""
    if not configuration.verify_ssl:  # the kubeconfig itself says so; we never decide it
        return urllib3.PoolManager(cert_reqs="CERT_NONE")
    extra: dict[str, Any] = {}
    if configuration.tls_server_name:
        extra["server_hostname"] = configuration.tls_server_name
    return urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED", ca_certs=configuration.ssl_ca_cert, **extra
    )


def check_client_pair(cert: str | None, key: str | None, where: str) -> None:
    """Load the client certificate and key as the TLS handshake will, before any request.

    Otherwise a bad key surfaces as an SSL error on the first request, which reads like the
    server's certificate failing verification, and sends the user to the wrong file.
    """
    if not cert and not key:
        return
    if not (cert and key):
        raise InputError(
            f"{where}: a client {'key' if cert else 'certificate'} without its "
            f"{'certificate' if cert else 'key'}"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        why = (
            "the client key does not match the client certificate"
            if "KEY_VALUES_MISMATCH" in str(exc)
            else "the client certificate or key is not a valid PEM certificate/private key"
        )
        raise InputError(f"{where}: {why}") from exc
    except OSError as exc:
        raise InputError(
            f"{where}: the client certificate or key cannot be read: "
            f"{(exc.strerror or str(exc)).lower()}"
        ) from exc


def _tls_reason(exc: BaseException) -> str | None:
    """The verification failure inside an SSL error, e.g. 'unable to get local issuer cert'."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or seen)
        if isinstance(seen, ssl.SSLError):
            return str(seen.reason or seen)
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
    return None


def _get(api_client: Any, method: str, path: str, body: bytes | None = None) -> rawhttp.Answer:
    """One raw call, whole within ``rawhttp.DEADLINE_S`` and at most its size cap."""
    _, url, headers, _, _ = api_client.param_serialize(
        method,
        path,
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        auth_settings=["BearerToken"],
    )
    return rawhttp.request(
        api_client.rest_client.pool_manager,
        method,
        url,
        body=body,
        headers=headers,
        connect_s=CONNECT_TIMEOUT_S,
        read_s=READ_TIMEOUT_S,
    )


def reach(api_client: Any, context: str) -> dict[str, Any]:
    """``GET /version``, authenticated: the server's answer, or one :class:`ClusterError`."""
    host = api_client.configuration.host
    version = _get_version(api_client, context)
    if version.status != 200:
        raise ClusterError(f"{host}/version: HTTP {version.status}")
    try:
        answer = json.loads(version.data)
    except ValueError as exc:
        raise ClusterError(f"{host}/version: the answer is not JSON") from exc
    return answer if isinstance(answer, dict) else {}


def _get_version(api_client: Any, context: str) -> Any:
    """``GET /version``: a connection or TLS failure, or 401, is one :class:`ClusterError`."""
    host = api_client.configuration.host
    version = _call(api_client, "GET", "/version")
    if version.status == 401:
        raise ClusterError(
            f"unauthorized: the API server at {host} rejected the credentials of context {context}"
        )
    return version


def _call(api_client: Any, method: str, path: str, body: bytes | None = None) -> rawhttp.Answer:
    """``_get``, with every way the exchange can fail as one :class:`ClusterError`."""
    host = api_client.configuration.host
    try:
        return _get(api_client, method, path, body)
    except urllib3.exceptions.HTTPError as exc:
        tls = _tls_reason(exc)
        if tls is not None:
            raise ClusterError(
                f"TLS verification of the API server at {host} failed: {tls} "
                f"(does the kubeconfig's certificate-authority match the "
                f"server?)"
            ) from exc
        if isinstance(exc, rawhttp.TooLarge):
            raise ClusterError(
                f"the API server at {host} answered {method} {path} with more "
                f"than {exc.limit // (1024 * 1024)} MiB"
            ) from exc
        bound = _timeout_said(exc)
        if bound is not None:
            raise ClusterError(f"the API server at {host} {bound}") from exc
        raise ClusterError(f"cannot reach the API server at {host}: {_root_cause(exc)}") from exc


def _timeout_said(exc: BaseException) -> str | None:
    """Which bound a timeout hit, in words that match the time it took; None if not one."""
    if isinstance(exc, rawhttp.DeadlinePassed):
        return f"did not answer within {exc.seconds:g}s"
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return None  # a refusal (it subclasses ConnectTimeoutError)
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return f"did not accept a connection within {CONNECT_TIMEOUT_S:g}s"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"did not answer within {READ_TIMEOUT_S:g}s"
    return None


def check_connection(api_client: Any, context: str) -> str:
    """Reach the API server, authenticate, and be allowed to create namespaces.

    Returns the user name the cluster knows us by. Raises :class:`ClusterError` with one line.
    """
    host = api_client.configuration.host
    _get_version(api_client, context)
    review = _call(
        api_client,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        b'{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",'
        b'"spec":{"resourceAttributes":{"verb":"create","resource":"namespaces"}}}',
    )
    if review.status == 401:
        raise ClusterError(
            f"unauthorized: the API server at {host} rejected the credentials of context {context}"
        )
    user = _whoami(api_client) or f"the user of context {context}"
    if review.status == 403:
        raise ClusterError(f"forbidden: {user} may not even review its own access at {host}")
    if review.status != 201:
        raise ClusterError(
            f"the API server at {host} answered HTTP {review.status} to an access review"
        )
    try:
        allowed = json.loads(review.data).get("status", {}).get("allowed")
    except (ValueError, AttributeError) as exc:
        raise ClusterError(
            f"the API server at {host} answered an access review with "
            "something that is not a SelfSubjectAccessReview"
        ) from exc
    if not allowed:
        raise ClusterError(
            f"forbidden: {user} may not create namespaces at {host}; the Standard "
            "Base creates one per test (cluster-admin is recommended)"
        )
    return user


def _whoami(api_client: Any) -> str | None:
    try:
        response = _get(
            api_client,
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
        )
    except urllib3.exceptions.HTTPError:
        return None
    if response.status != 201:
        return None
    try:
        name = json.loads(response.data).get("status", {}).get("userInfo", {}).get("username")
    except (ValueError, AttributeError):
        return None  # only a name for messages: an odd answer is no reason to stop
    return str(name) if name else None


def describe_failure(exc: BaseException) -> str:
    """One line for any failure talking to the API server (an HTTP status, a lost connection)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status:
        return f"HTTP {status} {getattr(exc, 'reason', '') or ''}".strip()
    return " ".join(_root_cause(exc).split()) or type(exc).__name__


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error: 'Connection refused' rather than a retry story."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None)
        if isinstance(inner, BaseException):
            reason = inner
            continue
        if reason.__cause__ is not None:
            reason = reason.__cause__
            continue
        break
    text = str(reason)
    if isinstance(reason, ConnectionRefusedError) or "Connection refused" in text:
        return "connection refused"
    if isinstance(reason, OSError) and reason.strerror:
        return str(reason.strerror).lower()
    return text.split(": ", 1)[-1] if ": " in text else text
