"""THE REAL THING: upstream ``e2e.test`` and ``ginkgo``, served from the local mirror.

The package is the one ``bootstrap.upstream.testpkg`` builds from the published
``k8s.io/kubernetes`` modules (dl.k8s.io is out of reach here) and caches; these tests never build
it themselves, they skip with the reason when it is not there. The first test needs no cluster: it
checks that the curated standard-base list resolves completely against this release's
``--list-tests`` and that real ginkgo, given our exact argv in ``--dry-run``, selects exactly those
specs and writes a JUnit file our reader counts as a complete run. The second runs the
standard-base specs that need no real kubelet through the CLI against the simulated nodes of the
``kv_cluster`` fixture. The third runs all of them against real nodes (the fixtures' cluster with
two joined kubelets and the control-plane node): every spec passes, and the live progress line,
counting specs as ginkgo marks them, ends at 26/26.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from bootstrap.runtime.bringup import bring_up
from bootstrap.runtime.spec import ClusterSpec
from conformance.e2e.cache import Binaries
from conformance.e2e.codenames import load
from conformance.e2e.command import Invocation, ginkgo_argv
from conformance.e2e.execute import run_logged
from conformance.e2e.listing import list_tests
from conformance.e2e.modes import STANDARD_BASE, mode_named, plan
from conformance.e2e.verdict import judge_run
from kubeadm_verify.results import Status
from tests.integration.e2e.conftest import VERSION, Workspace
from tests.integration.e2e.mirror import Mirror, publish
from tests.integration.e2e.standardbasemode import assert_every_spec_passed

pytestmark = pytest.mark.integration

RUN_TIMEOUT_S = 45 * 60

API_ONLY = tuple(
    spec
    for spec in STANDARD_BASE
    if any(
        name in spec
        for name in (
            "CustomResourceDefinition resources",
            "Watchers should be able to start watching",
            "Discovery should validate PreferredVersion",
            "AggregatedDiscovery should support",
            "API priority and fairness should support FlowSchema",
            "Certificates API",
            "should have at least two untainted nodes",
            "API Server should have Endpoints and EndpointSlices pointing to API Server",
            "Garbage collector should delete pods created by rc when not orphaning",
            "ResourceQuota should create a ResourceQuota and capture the life of a pod",
        )
    )
)
"""Standard-base specs that talk only to the API server and controllers: kwok nodes carry them."""


def real_package() -> Path:
    """The cached real test tarball (the session builds it first), or a failure that says how."""
    from bootstrap.upstream.testpkg import e2e_test_package_cached

    path = e2e_test_package_cached(VERSION)
    if path is None:
        pytest.fail(
            f"no real {VERSION} test package cached; build it with "
            "bootstrap.upstream.testpkg.build_test_package "
            "(go test -c k8s.io/kubernetes/test/e2e)"
        )
    return path


@pytest.fixture
def real_mirror(mirror: Mirror) -> Mirror:
    package = real_package()
    sha256 = package.with_name(package.name + ".sha256").read_text().strip()
    publish(mirror, VERSION, package.read_bytes(), sha256=sha256)
    return mirror


def test_real_package_selects_exactly_the_standard_base(
    workspace: Workspace, real_mirror: Mirror
) -> None:
    done = workspace.run(
        "--mirror",
        real_mirror.url,
        "--kubernetes-version",
        VERSION,
        "--mode",
        "standard-base",
        "--dry-run",
    )
    assert done.returncode == 0, done.stderr
    assert tuple(done.stdout.splitlines()) == STANDARD_BASE
    entry = workspace.entry_parent / "linux-amd64"
    binaries = Binaries(entry / "e2e.test", entry / "ginkgo")
    assert binaries.listing() == list_tests(binaries.e2e_test)  # the cached list is the binary's
    chosen = plan(mode_named("standard-base"), binaries.listing(), None, None)
    report_dir = workspace.root / "dry-run"
    report_dir.mkdir()
    argv = ginkgo_argv(
        binaries,
        chosen.selection,
        Invocation(procs=1, timeout="10m", kubeconfig=workspace.kubeconfig, report_dir=report_dir),
    )
    argv.insert(1, "--dry-run")  # ginkgo dry-runs only serially; nothing touches a cluster
    ended = run_logged(argv, report_dir / "e2e.log", report_dir, timeout_s=600)
    results = judge_run(report_dir / "junit_01.xml", report_dir / "e2e.log", ended, load(VERSION))
    assert ended.code == 0, (report_dir / "e2e.log").read_text()[-2000:]
    assert sorted(r.id for r in results) == sorted(STANDARD_BASE)
    assert all(r.status is Status.PASS and r.conformance == (r.id,) for r in results)


@pytest.mark.cluster
def test_api_only_specs_pass_on_simulated_nodes(
    workspace: Workspace, real_mirror: Mirror, request: pytest.FixtureRequest
) -> None:
    """The e2e tier against the ``kv_cluster`` fixture's simulated nodes, asking the server for its
    version: every standard-base spec that needs no real kubelet runs and passes. The rest would
    only wait out pods kwok never runs; the real-node test below runs all of them."""
    cluster = request.getfixturevalue("kv_cluster")
    context = ["--context", cluster.context] if cluster.context else []
    focus = "|".join(re.escape(spec) for spec in API_ONLY)
    done = workspace.run(
        "--mirror",
        real_mirror.url,
        "--kubeconfig",
        str(cluster.kubeconfig),
        *context,
        "--mode",
        "standard-base",
        "--focus",
        focus,
        "--parallel",
        "8",
        "--timeout",
        "20m",
        timeout=RUN_TIMEOUT_S,
    )
    checks = workspace.results()["checks"]
    by_id = {check["id"]: check for check in checks}
    not_passed = {i: c["message"][:300] for i, c in by_id.items() if c["status"] != "pass"}
    assert not not_passed, f"specs that need no real kubelet must pass on kwok nodes: {not_passed}"
    assert set(by_id) == set(API_ONLY)
    assert all(by_id[spec]["conformance"] == [spec] for spec in API_ONLY)
    assert done.returncode == 0, done.stderr[-3000:]
    submission = workspace.output / "e2e" / "v1.37" / "kubeadm"
    assert "Ran " in (submission / "e2e.log").read_text()
    assert (submission / "junit_01.xml").stat().st_size > 0


@pytest.mark.cluster
def test_standard_base_passes_on_real_nodes_counted_live(
    workspace: Workspace, real_mirror: Mirror
) -> None:
    spec = ClusterSpec.local(f"kvr-e2e-{secrets.token_hex(3)}", nodes=2, wait_for_workloads=True)
    with bring_up(spec, log=lambda line: None) as cluster:
        context = ["--context", cluster.context] if cluster.context else []
        done = workspace.run(
            "--mirror",
            real_mirror.url,
            "--kubeconfig",
            str(cluster.kubeconfig),
            *context,
            "--mode",
            "standard-base",
            "--timeout",
            "20m",
            timeout=RUN_TIMEOUT_S,
        )
    assert_every_spec_passed(done, workspace.results()["checks"], "real nodes")
