"""Which cluster a run means, found as kubectl finds it, and read into one kubeconfig mapping.

``--kubeconfig PATH``, else ``$KUBECONFIG`` (a list of files, merged: the first file to set a
value wins, as kubectl's loading rules), else ``~/.kube/config``, else, inside a Pod (the
``KUBERNETES_SERVICE_HOST``/``_PORT`` variables set and the service-account token mounted), the
in-cluster configuration. A bad input is an :class:`InputError` naming the file and why; nothing
here opens a connection, so this module imports no kubernetes client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubeadm_verify import yamlread
from kubeadm_verify.errors import InputError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where the kubelet mounts a Pod's service-account token and the cluster CA (client-go's path)."""
IN_CLUSTER = "in-cluster"
"""The name of the one cluster, user and context of the in-cluster configuration."""
_PATH_KEYS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class InCluster:
    """The API server a Pod reaches through its environment, and its mounted credentials."""

    server: str
    token_file: Path
    ca_file: Path


@dataclass(frozen=True)
class Target:
    """The kubeconfig files to read, merged, and the context to use (None: current-context);
    or, with no files, the in-cluster configuration."""

    paths: tuple[Path, ...]
    context: str | None
    in_cluster: InCluster | None = None

    def describe(self) -> str:
        if self.in_cluster is not None:
            return f"in-cluster configuration ({self.in_cluster.server})"
        return ":".join(str(p) for p in self.paths)


def resolve(
    flag: str | None,
    context: str | None,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Target:
    """The configuration kubectl would read for these flags and this environment."""
    env = os.environ if environ is None else environ
    if flag:
        path = Path(flag).expanduser()
        if not path.exists():
            raise InputError(f"kubeconfig {flag} does not exist")
        # a FIFO or a device is refused, named as what it is, when it is read
        return Target((path.absolute(),), context)
    listed = [Path(p).expanduser() for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        existing = tuple(p.absolute() for p in listed if p.exists())
        if not existing:
            raise InputError(
                f"none of the kubeconfig files in KUBECONFIG exists: {env['KUBECONFIG']}"
            )
        return Target(existing, context)
    default = Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"
    if default.exists():  # a FIFO there is refused, as what it is, when it is read
        return Target((default,), context)
    pod = in_cluster(env, service_account_dir)
    if pod is None:
        raise InputError(
            f"no kubeconfig: --kubeconfig not given, KUBECONFIG not set, "
            f"{default} does not exist and this is not a Pod with a service account"
        )
    return Target((), context, pod)


def in_cluster(env: Mapping[str, str], folder: Path) -> InCluster | None:
    """The in-cluster configuration when client-go would consider it possible, else None."""
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    token, ca = folder / "token", folder / "ca.crt"
    if not host or not port or not token.is_file():
        return None
    if not ca.is_file():
        raise InputError(
            f"in-cluster configuration: {ca} does not exist; the API server's "
            "certificate cannot be verified without it"
        )
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    return InCluster(server, token, ca)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = yamlread.read_text(path)
    except OSError as exc:
        raise InputError(f"kubeconfig {path} cannot be read: {exc.strerror}") from None
    return parse(text, str(path))


def parse(text: str, where: str) -> dict[str, Any]:
    """A kubeconfig's text (a file's, or the one ``cluster-info`` carries), bounded by
    ``yamlread`` and checked for shape; an :class:`InputError` names ``where`` and why."""
    try:
        data = yamlread.load(text)
    except yamlread.YAMLRefused as exc:
        raise InputError(f"kubeconfig {where} refused: {exc}") from None
    except yamlread.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"kubeconfig {where} is not valid YAML{at}: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"kubeconfig {where} is not a kubeconfig (a YAML mapping)")
    for key in ("clusters", "users", "contexts"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise InputError(f"kubeconfig {where}: {key} is not a list")
    _check_shape(data, where)
    return data


def cluster_of(config: Mapping[str, Any], where: str, context: str | None = None) -> dict[str, Any]:
    """The ``cluster`` body that ``context`` (else the current context) points at, as kubeadm
    reads an existing kubeconfig's or ``cluster-info``'s; none is an :class:`InputError`."""
    wanted = context or config.get("current-context") or ""
    contexts = [c for c in config.get("contexts") or [] if c.get("name") == wanted]
    if not contexts:
        raise InputError(f"kubeconfig {where}: no context named {wanted!r}")
    name = (contexts[0].get("context") or {}).get("cluster")
    clusters = [c for c in config.get("clusters") or [] if c.get("name") == name]
    if not clusters:
        raise InputError(f"kubeconfig {where}: no cluster named {name!r}")
    return dict(clusters[0].get("cluster") or {})


_BODY_KEY = {"clusters": "cluster", "users": "user", "contexts": "context"}
_STRINGS = {
    "clusters": (
        "server",
        "certificate-authority",
        "certificate-authority-data",
        "tls-server-name",
        "proxy-url",
    ),
    "users": (
        "token",
        "tokenFile",
        "client-certificate",
        "client-key",
        "client-certificate-data",
        "client-key-data",
        "username",
        "password",
    ),
    "contexts": ("cluster", "user", "namespace"),
}


def _check_shape(data: dict[str, Any], path: str) -> None:
    """Every field this tool or the client reads has the type kubectl's decoder requires, so a
    mistyped field is one line naming it, not an exception deep in the client."""
    if not isinstance(data.get("current-context") or "", str):
        raise InputError(f"kubeconfig {path}: current-context is not a string")
    for section, body_key in _BODY_KEY.items():
        for index, item in enumerate(data.get(section) or []):
            where = f"kubeconfig {path}: {section}[{index}]"
            if not isinstance(item, dict):
                raise InputError(f"{where} is not a mapping")
            if not isinstance(item.get("name") or "", str):
                raise InputError(f"{where}.name is not a string")
            body = item.get(body_key)
            if body is None:
                continue
            if not isinstance(body, dict):
                raise InputError(f"{where}.{body_key} is not a mapping")
            for key in _STRINGS[section]:
                if body.get(key) is not None and not isinstance(body[key], str):
                    raise InputError(f"{where}.{body_key}.{key} is not a string")
            if "exec" in body:
                _check_exec(body["exec"], f"{where}.{body_key}.exec")


def _check_exec(plugin: object, where: str) -> None:
    if not isinstance(plugin, dict):
        raise InputError(f"{where} is not a mapping")
    for key in ("command", "apiVersion"):  # their absence is the plugin's error, when run
        if plugin.get(key) is not None and not isinstance(plugin[key], str):
            raise InputError(f"{where}.{key} is not a string")
    args = plugin.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise InputError(f"{where}.args is not a list of strings")
    env = plugin.get("env") or []
    if not isinstance(env, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("value"), str)
        for e in env
    ):
        raise InputError(f"{where}.env is not a list of name/value strings")


def _absolute(entry: dict[str, Any], section: str, base: Path) -> dict[str, Any]:
    """Relative file references in a kubeconfig are relative to that file, as kubectl reads;
    so is an exec plugin's command when it names a path (``./bin/cred``), not a bare name."""
    body_key = {"clusters": "cluster", "users": "user", "contexts": "context"}[section]
    body = dict(entry.get(body_key) or {})
    for key in _PATH_KEYS.get(section, ()):
        value = body.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[key] = str(base / value)
    plugin = body.get("exec")
    if isinstance(plugin, dict):
        command = plugin.get("command")
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            body["exec"] = {**plugin, "command": str(base / command)}
    return {**entry, body_key: body}


def merged(target: Target) -> dict[str, Any]:
    """The files of ``target`` merged as kubectl merges them (first definition of a name wins)."""
    if target.in_cluster is not None:
        return _in_cluster_config(target.in_cluster)
    result: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": "",
    }
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


def _in_cluster_config(pod: InCluster) -> dict[str, Any]:
    """The in-cluster configuration as a kubeconfig: the token read from its file on each use,
    as client-go re-reads it (the kubelet rotates it)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": IN_CLUSTER,
        "clusters": [
            {
                "name": IN_CLUSTER,
                "cluster": {"server": pod.server, "certificate-authority": str(pod.ca_file)},
            }
        ],
        "users": [{"name": IN_CLUSTER, "user": {"tokenFile": str(pod.token_file)}}],
        "contexts": [{"name": IN_CLUSTER, "context": {"cluster": IN_CLUSTER, "user": IN_CLUSTER}}],
    }


def check_context(config: dict[str, Any], target: Target) -> str:
    """The context to use; an unknown or missing one is an input error naming the choices."""
    names = [c.get("name") for c in config["contexts"]]
    wanted = target.context or config["current-context"]
    if not wanted:
        raise InputError(
            f"kubeconfig {target.describe()} has no current-context; pass --context "
            f"(contexts: {', '.join(map(str, names)) or 'none'})"
        )
    if wanted not in names:
        raise InputError(
            f"context {wanted!r} not found in kubeconfig {target.describe()} "
            f"(contexts: {', '.join(map(str, names)) or 'none'})"
        )
    return str(wanted)


def only_context(config: dict[str, Any], context: str) -> dict[str, Any]:
    """``config`` cut down to ``context``, its cluster and its user, ``context`` made current:
    what a tool taking one file needs, and no other credential."""
    entry = next(c for c in config["contexts"] if c.get("name") == context)
    body = entry.get("context") or {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [c for c in config["clusters"] if c.get("name") == body.get("cluster")],
        "users": [u for u in config["users"] if u.get("name") == body.get("user")],
        "contexts": [entry],
    }


__all__ = [
    "IN_CLUSTER",
    "SERVICE_ACCOUNT_DIR",
    "InCluster",
    "Target",
    "check_context",
    "cluster_of",
    "in_cluster",
    "merged",
    "only_context",
    "parse",
    "resolve",
]
