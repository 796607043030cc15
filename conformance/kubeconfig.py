"""Finding the cluster as kubectl does, and checking we can talk to it before any test runs.

``--kubeconfig PATH``, else ``$KUBECONFIG`` (a list of files, merged: the first file to set a
value wins, as kubectl's loading rules), else ``~/.kube/config``. What can go wrong is sorted
once, here, into the two errors the CLI knows: the input is bad (missing or malformed file,
unknown context: :class:`InputError`) or the cluster is (unreachable, TLS verification failed,
credentials rejected, not allowed to do what the suite does: :class:`ClusterError`). Each comes
with one line that says which and why; TLS verification is never turned off to get further.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml

from kubeadm_verify.errors import ClusterError, InputError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
_PATH_KEYS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class Target:
    """The kubeconfig files to read, merged, and the context to use (None: current-context)."""

    paths: tuple[Path, ...]
    context: str | None

    def describe(self) -> str:
        return ":".join(str(p) for p in self.paths)


def resolve(flag: str | None, context: str | None,
            environ: Mapping[str, str] | None = None) -> Target:
    """The files kubectl would read for these flags and this environment."""
    env = os.environ if environ is None else environ
    if flag:
        path = Path(flag).expanduser()
        if not path.is_file():
            raise InputError(f"kubeconfig {flag} does not exist")
        return Target((path,), context)
    listed = [Path(p).expanduser() for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        existing = tuple(p for p in listed if p.is_file())
        if not existing:
            raise InputError(f"none of the kubeconfig files in KUBECONFIG exists: "
                             f"{env['KUBECONFIG']}")
        return Target(existing, context)
    default = Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"
    if not default.is_file():
        raise InputError(f"no kubeconfig: --kubeconfig not given, KUBECONFIG not set and "
                         f"{default} does not exist")
    return Target((default,), context)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"kubeconfig {path} cannot be read: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"kubeconfig {path} is not valid YAML{where}: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"kubeconfig {path} is not a kubeconfig (a YAML mapping)")
    for key in ("clusters", "users", "contexts"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise InputError(f"kubeconfig {path}: {key} is not a list")
    return data


def _absolute(entry: dict[str, Any], section: str, base: Path) -> dict[str, Any]:
    """Relative file references in a kubeconfig are relative to that file, as kubectl reads."""
    body_key = {"clusters": "cluster", "users": "user", "contexts": "context"}[section]
    body = dict(entry.get(body_key) or {})
    for key in _PATH_KEYS.get(section, ()):
        value = body.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[key] = str(base / value)
    return {**entry, body_key: body}


def merged(target: Target) -> dict[str, Any]:
    """The files of ``target`` merged as kubectl merges them (first definition of a name wins)."""
    result: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [],
                              "users": [], "contexts": [], "current-context": ""}
    for path in target.paths:
        data = _read(path)
        if not result["current-context"] and data.get("current-context"):
            result["current-context"] = data["current-context"]
        for section in ("clusters", "users", "contexts"):
            known = {item.get("name") for item in result[section]}
            for item in data.get(section) or []:
                if isinstance(item, dict) and item.get("name") not in known:
                    result[section].append(_absolute(item, section, path.parent.resolve()))
                    known.add(item.get("name"))
    return result


def check_context(config: dict[str, Any], target: Target) -> str:
    """The context to use; an unknown or missing one is an input error naming the choices."""
    names = [c.get("name") for c in config["contexts"]]
    wanted = target.context or config["current-context"]
    if not wanted:
        raise InputError(f"kubeconfig {target.describe()} has no current-context; pass --context "
                         f"(contexts: {', '.join(map(str, names)) or 'none'})")
    if wanted not in names:
        raise InputError(f"context {wanted!r} not found in kubeconfig {target.describe()} "
                         f"(contexts: {', '.join(map(str, names)) or 'none'})")
    return str(wanted)


def load(target: Target) -> tuple[Any, str]:
    """An ``ApiClient`` for the target (no retries, short timeouts) and the context name."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    data = merged(target)
    context = check_context(data, target)
    configuration = client.Configuration()
    configuration.retries = False
    try:
        loader = kube_config.kube_config.KubeConfigLoader(
            config_dict=data, active_context=context)
        loader.load_and_set(configuration)
    except ConfigException as exc:
        raise InputError(f"kubeconfig {target.describe()}, context {context}: {exc}") from exc
    except (ValueError, TypeError, OSError) as exc:  # malformed data inside a valid YAML file
        raise InputError(f"kubeconfig {target.describe()}, context {context}: {exc}") from exc
    check_client_pair(configuration.cert_file, configuration.key_file,
                      f"kubeconfig {target.describe()}, context {context}")
    return client.ApiClient(configuration), context


def check_client_pair(cert: str | None, key: str | None, where: str) -> None:
    """Load the client certificate and key as the TLS handshake will, before any request.

    Otherwise a bad key surfaces as an SSL error on the first request, which reads like the
    server's certificate failing verification, and sends the user to the wrong file.
    """
    if not cert and not key:
        return
    if not (cert and key):
        raise InputError(f"{where}: a client {'key' if cert else 'certificate'} without its "
                         f"{'certificate' if cert else 'key'}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        why = ("the client key does not match the client certificate"
               if "KEY_VALUES_MISMATCH" in str(exc) else
               "the client certificate or key is not a valid PEM certificate/private key")
        raise InputError(f"{where}: {why}") from exc
    except OSError as exc:
        raise InputError(f"{where}: the client certificate or key cannot be read: "
                         f"{(exc.strerror or str(exc)).lower()}") from exc


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


def _get(api_client: Any, method: str, path: str, body: bytes | None = None) -> Any:
    _, url, headers, _, _ = api_client.param_serialize(
        method, path, header_params={"Accept": "application/json",
                                     "Content-Type": "application/json"},
        auth_settings=["BearerToken"])
    return api_client.rest_client.pool_manager.request(
        method, url, body=body, headers=headers, retries=False, redirect=False,
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S))


def check_connection(api_client: Any, context: str) -> str:
    """Reach the API server, authenticate, and be allowed to create namespaces.

    Returns the user name the cluster knows us by. Raises :class:`ClusterError` with one line.
    """
    host = api_client.configuration.host
    try:
        version = _get(api_client, "GET", "/version")
    except urllib3.exceptions.HTTPError as exc:
        tls = _tls_reason(exc)
        if tls is not None:
            raise ClusterError(f"TLS verification of the API server at {host} failed: {tls} "
                               f"(does the kubeconfig's certificate-authority match the "
                               f"server?)") from exc
        timed_out = isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
            exc, urllib3.exceptions.NewConnectionError)  # which subclasses ConnectTimeoutError
        if timed_out:
            raise ClusterError(f"the API server at {host} did not answer within "
                               f"{CONNECT_TIMEOUT_S:g}s") from exc
        raise ClusterError(f"cannot reach the API server at {host}: {_root_cause(exc)}") from exc
    if version.status == 401:
        raise ClusterError(f"unauthorized: the API server at {host} rejected the credentials of "
                           f"context {context}")
    review = _get(api_client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                  b'{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",'
                  b'"spec":{"resourceAttributes":{"verb":"create","resource":"namespaces"}}}')
    if review.status == 401:
        raise ClusterError(f"unauthorized: the API server at {host} rejected the credentials of "
                           f"context {context}")
    user = _whoami(api_client) or f"the user of context {context}"
    if review.status == 403:
        raise ClusterError(f"forbidden: {user} may not even review its own access at {host}")
    if review.status != 201:
        raise ClusterError(f"the API server at {host} answered HTTP {review.status} to an access "
                           "review")
    if not json.loads(review.data).get("status", {}).get("allowed"):
        raise ClusterError(f"forbidden: {user} may not create namespaces at {host}; the Standard "
                           "Base creates one per test (cluster-admin is recommended)")
    return user


def _whoami(api_client: Any) -> str | None:
    try:
        response = _get(api_client, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                        b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}')
    except urllib3.exceptions.HTTPError:
        return None
    if response.status != 201:
        return None
    name = json.loads(response.data).get("status", {}).get("userInfo", {}).get("username")
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
