"""The two things the e2e tier asks of the cluster itself: its version and its kubeconfig path.

The kubernetes client is imported here, inside the function that needs it, so runs that name
``--kubernetes-version`` (and every other verb) never pay for it. The client is built from the
kubeconfig without touching the library's global default configuration, with TLS verification
as the kubeconfig says (on unless it sets ``insecure-skip-tls-verify``), and its errors are
reduced to one line that names the server, never a credential.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conformance.e2e.version import release_of
from kubeadm_verify.errors import ClusterError, InputError, UsageError

VERSION_TIMEOUT_S = 15.0


def kubeconfig_sources(flag: str | None) -> str:
    """The kubeconfig to read, as kubectl picks it: flag, ``$KUBECONFIG``, ``~/.kube/config``."""
    return flag or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def kubeconfig_file(flag: str | None) -> Path:
    """One kubeconfig file for e2e.test, whose ``--kubeconfig`` takes a single path."""
    paths = [p for p in kubeconfig_sources(flag).split(os.pathsep) if p]
    if len(paths) != 1:
        raise UsageError("KUBECONFIG names several files; e2e.test needs one: pass --kubeconfig")
    path = Path(paths[0]).expanduser()
    if not path.is_file():
        raise InputError(f"kubeconfig {path}: no such file")
    return path.absolute()


def server_version(kubeconfig: str | None, context: str | None) -> str:
    """The cluster's release (``vX.Y.Z``) from ``GET /version``."""
    import yaml
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError

    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call, unused-ignore]
            config_file=kubeconfig_sources(kubeconfig),
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError, TypeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot use kubeconfig {kubeconfig_sources(kubeconfig)}: {exc}") from exc
    configuration.retries = 1
    with client.ApiClient(configuration) as api:
        try:
            response = client.VersionApi(api).get_code(
                _preload_content=False, _request_timeout=VERSION_TIMEOUT_S
            )
        except ApiException as exc:
            message = f"{configuration.host}/version: HTTP {exc.status} {exc.reason}"
            raise ClusterError(message) from exc
        except HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            message = f"cannot reach the cluster at {configuration.host}: {reason}"
            raise ClusterError(message) from exc
    return _release_in(configuration.host, response.status, response.data)


def _release_in(host: str, status: int, body: bytes) -> str:
    """The release in a ``/version`` answer; read raw, so a partial answer is one clear line."""
    if status != 200:
        raise ClusterError(f"{host}/version: HTTP {status}")
    try:
        git_version = str(json.loads(body)["gitVersion"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"{host}/version: no gitVersion in the answer") from exc
    release = release_of(git_version)
    if release is None:
        raise ClusterError(f"the server reports version {git_version!r}, not vX.Y.Z")
    return release
