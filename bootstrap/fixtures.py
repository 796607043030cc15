"""The pytest plugin (entry point ``pytest11``): real clusters as fixtures, and their stages.

pytest loads this module in every session where kubeadm-verify is installed, the node tier's
included, so it imports nothing but pytest at import time: the bootstrap modules and the
kubernetes client are imported inside the fixtures that need them.

Fixtures:

``kv_cluster`` (session)
    A ``bootstrap.handle.ClusterHandle``. Brought up once, on free ports, with
    ``--kv-simulated-nodes`` kwok nodes (default 2); then, beyond what ``kubeadm init`` waits
    for, until the ``default`` ServiceAccount exists and ``cluster-info`` is signed (a named
    wait: its timeout says which did not happen); torn down in ``finally``, also after a failed
    setup or Ctrl-C/SIGTERM (SIGTERM raises KeyboardInterrupt while the cluster exists).
    ``--kv-kubeconfig`` (and ``--kv-context``) reuse a cluster instead, which is never torn down.
    ``--keep-cluster=always|on-failure`` keeps ours for debugging and says where it is.
``kv_namespace`` (function)
    A fresh namespace labelled ``kubeadm-verify.io/test-run=<run id>``, deleted afterwards (on a
    ``--kv-kubeconfig`` cluster the deletion is waited for, up to 30 s).
``kv_bootstrap_config``, ``kv_state``, ``kv_pki``, ``kv_manifests`` (function)
    The stages without processes: a configuration with free ports chosen, a state dir in
    ``tmp_path``, the same with certificates and kubeconfigs, and with the static-Pod manifests.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

from bootstrap.handle import ClusterHandle

if TYPE_CHECKING:
    from bootstrap.configtypes import BootstrapConfig
    from bootstrap.state import StateDir

RUN_LABEL = "kubeadm-verify.io/test-run"
KEEP_CHOICES = ("never", "always", "on-failure")
NAMESPACE_DELETE_TIMEOUT = 30.0
_RUN_ID = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeadm-verify cluster", "kubeadm-verify cluster fixtures")
    group.addoption("--kv-kubeconfig", metavar="PATH", default=None,
                    help="use the cluster of this kubeconfig instead of bringing one up")
    group.addoption("--kv-context", metavar="NAME", default=None,
                    help="kubeconfig context to use with --kv-kubeconfig")
    group.addoption("--keep-cluster", choices=KEEP_CHOICES, default="never",
                    help="keep the cluster the fixtures brought up (default: never)")
    group.addoption("--kv-simulated-nodes", type=int, default=2, metavar="N",
                    help="kwok nodes in the cluster the fixtures bring up (default 2)")
    group.addoption("--kv-config", metavar="FILE", default=None,
                    help="kubeadm v1beta4 configuration for the cluster the fixtures bring up")


def run_id(config: pytest.Config) -> str:
    """One id per pytest session (per xdist worker), for names and the namespace label."""
    if _RUN_ID not in config.stash:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        stamp = time.strftime("%m%d%H%M%S")
        config.stash[_RUN_ID] = f"{stamp}-{secrets.token_hex(2)}{('-' + worker) if worker else ''}"
    return config.stash[_RUN_ID]


# -- the cluster ---------------------------------------------------------------------------------

def _sigterm_to_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt("SIGTERM")


def free_port_config(path: str | None) -> BootstrapConfig:
    """The configuration (``--kv-config`` or defaults) with kubeadm's default ports set to 0;
    the advertise address, unless the file sets one, is the default route's (see ``up``)."""
    from bootstrap.config import load_config
    from bootstrap.ports import all_free

    return all_free(load_config(Path(path) if path else None).config)


def _external(kubeconfig: str, context: str | None) -> ClusterHandle:
    """A handle on a cluster we were pointed at: checked reachable, never torn down."""
    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        pytest.fail(f"--kv-kubeconfig {kubeconfig}: no such file", pytrace=False)
    handle = ClusterHandle(name=context or "external", kubeconfig=path.absolute(),
                           context=context, version="", owned=False)
    from kubernetes import client as k8s

    try:
        api_client = handle.api_client()
        try:
            version = str(k8s.VersionApi(api_client).get_code(_request_timeout=10).git_version)
        finally:
            api_client.close()
    except Exception as error:  # any failure means: not usable here; say why
        pytest.fail(f"--kv-kubeconfig {kubeconfig}: cannot reach the cluster: {error}",
                    pytrace=False)
    return ClusterHandle(name=handle.name, kubeconfig=handle.kubeconfig, context=context,
                         version=version, owned=False)


def _keep(policy: str, session: pytest.Session) -> bool:
    return policy == "always" or (policy == "on-failure" and session.testsfailed > 0)


def _report(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)


@pytest.fixture(scope="session")
def kv_cluster(request: pytest.FixtureRequest) -> Iterator[ClusterHandle]:
    """A running cluster for the whole session; see the module docstring."""
    option = request.config.getoption
    if option("kv_kubeconfig"):
        yield _external(str(option("kv_kubeconfig")), option("kv_context"))
        return
    from bootstrap.cluster import teardown, uninterruptible, up
    from bootstrap.state import StateDir
    from bootstrap.workloads import wait_for_workloads

    name = f"pytest-{run_id(request.config)}"
    config = free_port_config(option("kv_config"))
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _sigterm_to_interrupt) if in_main else None
    state = StateDir.for_cluster(name)
    try:
        handle = up(name, config, simulated_nodes=int(option("kv_simulated_nodes")),
                    skip_phases=("preflight",), log=lambda line: None)
        wait_for_workloads(config, state, lambda line: None)
        yield handle
    finally:
        if state.exists() and _keep(str(option("keep_cluster")), request.session):
            _report(request.config, f"kubeadm-verify: kept cluster {name!r}: "
                    f"export KUBECONFIG={state.admin_conf}; "
                    f"`kubeadm-verify down --name {name}` removes it")
        else:
            with uninterruptible():
                teardown(state)
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


# -- namespaces ----------------------------------------------------------------------------------

def namespace_name(nodeid: str) -> str:
    """A DNS-1123 label from a test id (``[`` and ``/`` included), unique by a random suffix."""
    base = re.sub(r"[^a-z0-9-]+", "-", nodeid.split("::")[-1].lower()).strip("-")[:40].strip("-")
    return f"kv-{base or 'test'}-{secrets.token_hex(3)}"


@pytest.fixture
def kv_namespace(kv_cluster: ClusterHandle, request: pytest.FixtureRequest) -> Iterator[str]:
    """A unique labelled namespace for one test, deleted (waited on, bounded) afterwards."""
    from kubernetes import client as k8s

    api_client = kv_cluster.api_client()
    core = k8s.CoreV1Api(api_client)
    name = namespace_name(request.node.nodeid)
    body = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(
        name=name, labels={RUN_LABEL: run_id(request.config)}))
    core.create_namespace(body)
    try:
        yield name
    finally:
        try:
            _delete_namespace(core, name, wait=not kv_cluster.owned)
        finally:
            api_client.close()


def _delete_namespace(core: Any, name: str, wait: bool) -> None:
    """Delete; on a cluster we do not own, wait (bounded) until it is gone. On our own cluster
    the namespace controller finishes in the background: the cluster goes at the session's end,
    and the next test's namespace has another name."""
    from kubernetes.client.exceptions import ApiException

    try:
        core.delete_namespace(name)
    except ApiException as error:
        if error.status == 404:
            return
        raise
    if not wait:
        return
    deadline = time.monotonic() + NAMESPACE_DELETE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            core.read_namespace(name)
        except ApiException as error:
            if error.status == 404:
                return
            raise
        time.sleep(0.2)


# -- stages without processes --------------------------------------------------------------------

@pytest.fixture
def kv_bootstrap_config() -> BootstrapConfig:
    """Defaults with free ports picked and a token generated (nothing started, nothing written)."""
    from dataclasses import replace

    from bootstrap import ports
    from bootstrap.cluster import resolve_tokens

    config = free_port_config(None)
    config = ports.apply(config, ports.pick(config))
    return replace(config, bootstrap_tokens=resolve_tokens(config, []))


@pytest.fixture
def kv_state(tmp_path: Path) -> StateDir:
    from bootstrap.state import StateDir

    state = StateDir(tmp_path / "state", "test")
    state.create()
    return state


@pytest.fixture
def kv_pki(kv_bootstrap_config: BootstrapConfig, kv_state: StateDir) -> StateDir:
    """A state dir with every certificate, key and kubeconfig of the ``certs`` and ``kubeconfig``
    phases."""
    from bootstrap.phases import run, select

    quiet = lambda line: None  # noqa: E731
    run([*select("certs"), *select("kubeconfig")], kv_bootstrap_config, kv_state, quiet)
    return kv_state


@pytest.fixture
def kv_manifests(kv_bootstrap_config: BootstrapConfig, kv_pki: StateDir) -> StateDir:
    """``kv_pki`` plus the four static-Pod manifests, rendered but not run."""
    from bootstrap import components
    from bootstrap import phases_manifests as manifests

    for component in components.COMPONENTS:
        manifests.write_manifest(component, kv_bootstrap_config, kv_pki)
    return kv_pki


__all__ = ["RUN_LABEL", "free_port_config", "namespace_name", "run_id"]
