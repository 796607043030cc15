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
    """Skip unless go is here and binaries were built before (or a build is asked for)."""
    if shutil.which("go") is None:
        pytest.skip("go is not on PATH")
    if not asked() and not (bin_dir(KUBERNETES_VERSION) / "manifest.json").is_file():
        pytest.skip(f"no binaries cache yet (a cold build takes long); set {ASK}=1 to build")


def require_test_package_build() -> None:
    """Skip unless the test package is cached (or a build is asked for and go is here)."""
    if e2e_test_package_cached(KUBERNETES_VERSION) is not None:
        return
    if shutil.which("go") is None:
        pytest.skip("go is not on PATH")
    if not asked():
        pytest.skip(f"no cached e2e test package (a cold build takes long); set {ASK}=1")


def go_build_cache() -> str:
    """Go's build cache as it is now. Pin it before moving ``XDG_CACHE_HOME``: Go derives its
    default ``GOCACHE`` from that variable, and a moved one would make every build cold."""
    out = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, check=True)
    return out.stdout.strip()
