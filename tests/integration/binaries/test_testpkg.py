"""The e2e test package built from source, in dl.k8s.io's layout, with its checksum file."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
from pathlib import Path

import pytest

from bootstrap.upstream.testpkg import build_test_package, e2e_test_package_cached
from tests.integration.binaries.heavy import require_test_package_build

pytestmark = [pytest.mark.integration, pytest.mark.timeout(7200)]


def test_built_test_package_has_upstream_layout_and_versions(tmp_path: Path) -> None:
    require_test_package_build()
    tarball = build_test_package("v1.37.2", tmp_path / "mirror")
    assert tarball.parent == tmp_path / "mirror"
    assert tarball.name.startswith("kubernetes-test-linux-")
    digest = (tarball.parent / (tarball.name + ".sha256")).read_text()
    assert digest == hashlib.sha256(tarball.read_bytes()).hexdigest()
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {
            "kubernetes",
            "kubernetes/test",
            "kubernetes/test/bin",
            "kubernetes/test/bin/e2e.test",
            "kubernetes/test/bin/ginkgo",
        }
        assert all(m.mode == 0o755 for m in members.values())
        tar.extractall(tmp_path / "x", filter="data")
    bin_dir = tmp_path / "x" / "kubernetes" / "test" / "bin"
    e2e = subprocess.run(
        [str(bin_dir / "e2e.test"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert e2e.stdout.strip() == "v1.37.2"
    ginkgo = subprocess.run(
        [str(bin_dir / "ginkgo"), "version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert ginkgo.stdout.strip() == "Ginkgo Version 2.32.0"
    cached = e2e_test_package_cached("v1.37.2")
    assert cached is not None and cached.read_bytes() == tarball.read_bytes()
