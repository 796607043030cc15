"""``kubeadm-verify e2e --mode standard-base`` run as an operator runs it against a kubeadm-driven
cluster: from the host, with the cluster's ``admin.conf``, the real ``e2e.test`` package served by
a local mirror; every spec must pass and the progress line must count 26/26."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.upstream.testpkg import e2e_test_package_cached
from conformance.e2e.modes import STANDARD_BASE
from tests.integration.e2e.conftest import VERSION as E2E_VERSION
from tests.integration.e2e.conftest import Workspace
from tests.integration.e2e.mirror import Mirror, publish, serve
from tests.integration.e2e.standardbasemode import assert_every_spec_passed

E2E_TIMEOUT_S = 30 * 60


def assert_standard_base_mode_passes(admin_conf: Path, tmp_path: Path) -> None:
    package = e2e_test_package_cached(E2E_VERSION)
    if package is None:
        pytest.fail(f"no real {E2E_VERSION} test package cached (the session builds it first)")
    sha256 = package.with_name(package.name + ".sha256").read_text().strip()
    workspace = Workspace(tmp_path)
    (tmp_path / "home").mkdir()
    with serve(Mirror()) as mirror:
        publish(mirror, E2E_VERSION, package.read_bytes(), sha256=sha256)
        done = workspace.run(
            "--mirror",
            mirror.url,
            "--kubeconfig",
            str(admin_conf),
            "--mode",
            "standard-base",
            "--timeout",
            "20m",
            timeout=E2E_TIMEOUT_S,
        )
    assert len(STANDARD_BASE) == 26
    checks = workspace.results()["checks"]
    assert_every_spec_passed(done, checks, "the kubeadm-driven cluster")
