"""A real cluster, and the kubeconfig inputs every consumer of ``kubeadm_verify.access`` gets.

One cluster (free ports, no nodes) for the module; a ServiceAccount bound to cluster-admin whose
token stands in for what an exec plugin prints and what the kubelet mounts in a Pod.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PREFIX = "kvshape"


@dataclass(frozen=True)
class World:
    """The cluster's admin kubeconfig, its server and CA, and a service-account token."""

    folder: Path
    admin: dict[str, Any]
    server: str
    ca: Path
    token: str


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec

    folder = tmp_path_factory.mktemp(PREFIX)
    spec = ClusterSpec.local(f"{PREFIX}-{secrets.token_hex(2)}", state_dir=folder / "state")
    state = spec.state
    with bring_up(spec, log=lambda line: None) as handle:
        admin = yaml.safe_load(handle.kubeconfig.read_text())
        yield World(
            folder,
            admin,
            admin["clusters"][0]["cluster"]["server"],
            state.pki / "ca.crt",
            _service_account_token(handle.api_client()),
        )


def _service_account_token(api_client: Any) -> str:
    from kubernetes import client

    try:
        core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
        core.create_namespaced_service_account("default", {"metadata": {"name": PREFIX}})
        rbac.create_cluster_role_binding(
            {
                "metadata": {"name": PREFIX},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "cluster-admin",
                },
                "subjects": [{"kind": "ServiceAccount", "name": PREFIX, "namespace": "default"}],
            }
        )
        review = core.create_namespaced_service_account_token(
            PREFIX, "default", {"spec": {"expirationSeconds": 3600}}
        )
        return str(review.status.token)
    finally:
        api_client.close()


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    path.chmod(mode)
    return path


def split_admin(world: World, folder: Path) -> tuple[Path, Path]:
    """The admin kubeconfig as two files: clusters and contexts, then users (KUBECONFIG=a:b)."""
    admin = world.admin
    first = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "contexts": admin["contexts"],
        "current-context": admin["current-context"],
    }
    second = {"apiVersion": "v1", "kind": "Config", "users": admin["users"]}
    return (
        private_file(folder / "clusters.yaml", yaml.safe_dump(first)),
        private_file(folder / "users.yaml", yaml.safe_dump(second)),
    )


def with_broken_current(world: World, folder: Path) -> Path:
    """Two contexts; the current one points at a closed port, ``good`` at the cluster."""
    admin = world.admin
    good = admin["contexts"][0]["context"]
    data = {
        **admin,
        "clusters": [
            *admin["clusters"],
            {"name": "closed", "cluster": {"server": "https://127.0.0.1:1"}},
        ],
        "contexts": [
            {"name": "broken", "context": {**good, "cluster": "closed"}},
            {"name": "good", "context": good},
        ],
        "current-context": "broken",
    }
    return private_file(folder / "contexts.yaml", yaml.safe_dump(data))


def exec_plugin(world: World, folder: Path, token: str | None) -> Path:
    """A kubeconfig whose user is a relative exec plugin printing an ExecCredential (or, with
    no token, one that fails as a broken plugin does)."""
    body = (
        '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
        f'"status":{{"token":"{token}"}}}}'
    )
    script = (
        f"#!/bin/sh\ncat <<'END'\n{body}\nEND\n"
        if token
        else "#!/bin/sh\necho 'credential helper: not logged in' >&2\nexit 1\n"
    )
    private_file(folder / "bin" / "credential", script, stat.S_IRWXU)
    ca = base64.b64encode(world.ca.read_bytes()).decode()
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "exec",
        "clusters": [
            {"name": "c", "cluster": {"server": world.server, "certificate-authority-data": ca}}
        ],
        "users": [
            {
                "name": "plugin",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "./bin/credential",
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": "exec", "context": {"cluster": "c", "user": "plugin"}}],
    }
    return private_file(folder / "exec.yaml", yaml.safe_dump(data))


def service_account(world: World, folder: Path) -> tuple[Path, dict[str, str]]:
    """Fake service-account files (a real token and CA) and the Pod's environment."""
    sa = folder / "serviceaccount"
    private_file(sa / "token", world.token)
    private_file(sa / "ca.crt", world.ca.read_text())
    host, port = world.server.removeprefix("https://").rsplit(":", 1)
    return sa, {"KUBERNETES_SERVICE_HOST": host.strip("[]"), "KUBERNETES_SERVICE_PORT": port}


def base_env(home: Path) -> dict[str, str]:
    """This process's environment without any kubeconfig, with an empty home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KUBEADM_VERIFY_", "KUBERNETES_")) and k != "KUBECONFIG"
    }
    home.mkdir(parents=True, exist_ok=True)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    env.update(
        {
            "HOME": str(home),
            "NO_COLOR": "1",
            "XDG_CACHE_HOME": cache,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
    )
    return env
