"""When the real-build tests run: they compile Kubernetes, so only on request or a warm machine.

A warm machine is one where the artefact was built before, so Go's build cache holds the compiled
packages and a rebuild costs minutes of linking, not an hour of compiling.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bootstrap.testpkg import e2e_test_package_cached
from bootstrap.versions import KUBERNETES_VERSION, bin_dir

ASK = "KUBEADM_VERIFY_BUILD_TESTS"


def asked() -> bool:
    return os.environ.get(ASK, "").lower() in ("1", "true", "yes")


def require_build_tests() -> None:
    """The session built the binaries before collection (tests/conftest.py); fail, never skip,
    when they are not there, so a missing build can never pass as a green run."""
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH: the build tests need Go 1.26")
    if not asked() and not (bin_dir(KUBERNETES_VERSION) / "manifest.json").is_file():
        pytest.fail(f"no binaries cache: run the whole suite (it builds first) or set {ASK}=1")


def require_test_package_build() -> None:
    """As above, for the e2e test package."""
    if e2e_test_package_cached(KUBERNETES_VERSION) is not None:
        return
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH: the build tests need Go 1.26")
    if not asked():
        pytest.fail(f"no cached e2e test package: run the whole suite or set {ASK}=1")


def go_build_cache() -> str:
    """Go's build cache as it is now. Pin it before moving ``XDG_CACHE_HOME``: Go derives its
    default ``GOCACHE`` from that variable, and a moved one would make every build cold."""
    out = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, check=True)
    return out.stdout.strip()
