"""The Standard Base's pytest wiring: markers become report properties, timeouts and skips.

At collection every test's ``standard_base`` marker is read once
(:mod:`conformance.standard_base.marker`): the settings' focus and skip (handed over by the runner,
or ``--kv-focus``/``--kv-skip``, :mod:`conformance.standard_base.plugin`) select on its id, its id
and codenames become the properties the runner turns into the report entry, and its timeout becomes
a pytest-timeout marker. Before a test runs, its needs are held against what the cluster offers
(found out once per session, :mod:`conformance.standard_base.needs`): a need the cluster is not the
kind to meet skips the test with the reason; a need a cluster of the right kind fails to meet (its
real nodes NotReady, DNS without a ready endpoint) fails the test, in its call phase, so the report
counts it a failure with the cluster's reason, not an error. The verdicts may wait up to
``needs.SETTLE_S`` for a cluster that is still settling; the test that first asks for them (one
per session, or per xdist worker) has ``needs.JUDGE_S`` added to its timeout, so that wait is
never taken from a test's own time and never ends one as a timeout. For the same reason the
session's first test has :data:`SESSION_SETUP_S` added: the session's own fixtures (``kv_cluster``
connecting to the cluster, or bringing one up; the client's API modules imported) are set up in
its setup, and a timeout there would be cached with the fixture and end every test as an error.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the values
pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from conformance.standard_base.kube import Kube, server_said
from conformance.standard_base.kubectl import NOT_FOUND, Kubectl, find_kubectl
from conformance.standard_base.marker import MARKER, Spec, SpecError, spec_of
from conformance.standard_base.needs import JUDGE_S, Needs, detect
from conformance.standard_base.plugin import cluster_settings
from conformance.standard_base.release import ServerRelease, older_than, server_release
from conformance.standard_base.selection import Selection
from kubeadm_verify.runner import CONFORMANCE_PROPERTY, ID_PROPERTY, WARNING_PROPERTY

SPEC = pytest.StashKey[Spec]()
BROKEN_NEED = pytest.StashKey[str]()
NEEDS_JUDGED = pytest.StashKey[bool]()
SESSION_STARTED = pytest.StashKey[bool]()
SESSION_SETUP_S = 120.0
"""Room for the session's own setup in its first test's timeout (see the module docstring)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(id, conformance, needs, timeout): a Standard Base test "
        "(conformance.standard_base.marker)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = cluster_settings(config)
    try:
        selection = Selection.from_flags(settings.focus, settings.skip)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc
    kept, dropped = apply_specs(items, selection)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def apply_specs(
    items: list[pytest.Item], selection: Selection
) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """Read every marker once; keep what the selection wants, each with its properties set."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    owners: dict[str, str] = {}
    for item in items:
        try:
            spec = spec_of(item)
        except SpecError as exc:
            raise pytest.UsageError(str(exc)) from exc
        if spec is None:
            raise pytest.UsageError(f"{item.nodeid}: a Standard Base test needs @{MARKER}(...)")
        if spec.id in owners:
            raise pytest.UsageError(
                f"test id {spec.id} is declared twice: {owners[spec.id]} and {item.nodeid}"
            )
        owners[spec.id] = item.nodeid
        if not selection.selects(spec.id):
            dropped.append(item)
            continue
        item.stash[SPEC] = spec
        item.user_properties.append((ID_PROPERTY, spec.id))
        item.user_properties.append((CONFORMANCE_PROPERTY, json.dumps(list(spec.conformance))))
        item.add_marker(pytest.mark.timeout(spec.timeout))
        kept.append(item)
    return kept, dropped


@pytest.fixture(scope="session")
def kube(kv_cluster: Any) -> Iterator[Kube]:
    """One client for the session (each xdist worker has its own)."""
    api_client = kv_cluster.api_client()
    try:
        yield Kube(api_client)
    finally:
        api_client.close()


@pytest.fixture(scope="session")
def kv_needs(kube: Kube, pytestconfig: pytest.Config) -> Needs:
    try:
        return detect(kube)
    finally:
        pytestconfig.stash[NEEDS_JUDGED] = True


@pytest.fixture(scope="session")
def kv_server_release(kube: Kube) -> ServerRelease:
    info = kube.version.get_code()
    return server_release(str(info.major), str(info.minor), str(info.git_version))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Give the session's first test the time to set the session up, and the test that will
    judge the needs the time to (before pytest-timeout, whose hook this wraps, reads the test's
    timeout): its own timeout plus :data:`SESSION_SETUP_S` and ``needs.JUDGE_S`` as they apply."""
    spec = item.stash.get(SPEC, None)
    extra = 0.0
    if not item.config.stash.get(SESSION_STARTED, False):
        item.config.stash[SESSION_STARTED] = True
        extra += SESSION_SETUP_S
    if spec is not None and spec.needs and not item.config.stash.get(NEEDS_JUDGED, False):
        extra += JUDGE_S
    if spec is not None and extra:
        item.add_marker(pytest.mark.timeout(spec.timeout + extra), append=False)
    return (yield)


@pytest.fixture(autouse=True)
def _standard_base_needs(request: pytest.FixtureRequest) -> None:
    """Skip, with the reason, a test the cluster is not the kind to run (before any setup): of
    a later release than the API server's, or needing what this kind of cluster lacks; mark one
    whose needs a broken cluster fails to meet, for :func:`pytest_runtest_call`."""
    spec = request.node.stash.get(SPEC, None)
    if spec is None:
        return
    if spec.since is not None:
        too_old = older_than(request.getfixturevalue("kv_server_release"), spec.since)
        if too_old is not None:
            pytest.skip(too_old)
    if not spec.needs:
        return
    needs: Needs = request.getfixturevalue("kv_needs")
    unmet = needs.unmet(spec.needs)
    if unmet is None:
        return
    if not unmet.broken:
        pytest.skip(unmet.reason)
    request.node.stash[BROKEN_NEED] = unmet.reason


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Fail, instead of running it, a test whose needs the cluster should meet and does not."""
    reason = item.stash.get(BROKEN_NEED, None)
    if reason is not None:
        pytest.fail(reason, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """An API error that ends a test is reported as one line: where, the HTTP status, and the
    server's own message; the client's rendering (response headers and the raw body) never
    reaches a report."""
    report = yield
    excinfo = call.excinfo
    if report.failed and excinfo is not None and isinstance(excinfo.value, client.ApiException):
        error = excinfo.value
        report.longrepr = (
            f"{_where(item, excinfo)}HTTP {error.status} {error.reason}: {server_said(error.body)}"
        )
    return report


def _where(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """``test_x.py:42: `` for the suite's last frame in the traceback ('' when there is none)."""
    package = Path(str(item.path)).parent
    ours = [entry for entry in excinfo.traceback if Path(str(entry.path)).parent == package]
    return f"{Path(str(ours[-1].path)).name}:{ours[-1].lineno + 1}: " if ours else ""


@pytest.fixture(scope="session")
def run_id(pytestconfig: pytest.Config) -> str:
    """The id this run's namespaces, and what it makes outside them, are labelled with: the
    settings' (shared by every xdist worker, so the CLI can clean up after the whole run)."""
    return cluster_settings(pytestconfig).run_id


@pytest.fixture(scope="session")
def allowed_not_ready_nodes(pytestconfig: pytest.Config) -> int:
    """How many nodes may be NotReady (``--allowed-not-ready-nodes``): a node down on purpose
    is no fault of the cluster's, as the upstream e2e suite allows with its flag of that name."""
    return cluster_settings(pytestconfig).allowed_not_ready_nodes


@pytest.fixture
def kubectl(
    kv_cluster: Any, kv_namespace: str, record_property: Callable[[str, object], None]
) -> Iterator[Kubectl | None]:
    """kubectl for the cluster under test in the test's namespace; None (and the test's warning
    recorded) when there is no kubectl to run."""
    binary = find_kubectl()
    if binary is None:
        record_property(WARNING_PROPERTY, NOT_FOUND)
        yield None
        return
    yield Kubectl(binary, kv_cluster.kubeconfig, kv_cluster.context, kv_namespace)
