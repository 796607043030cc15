"""Debian's containerd 1.6, unpacked once into the cache and never installed on the host.

Other work on this machine runs containerd 2 and finds its shim on PATH; a Debian shim in
/usr/bin would be picked up instead and speak another protocol, so the package is only
extracted (``dpkg-deb -x``) into ``~/.cache/kubeadm-verify/debian/``. A machine where the
download is impossible fails the tests that need it, saying so: a runtime we could not get
is not a kind of cluster to skip.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bootstrap.upstream.versions import cache_root

PACKAGE = "containerd"


def _download(into: Path) -> Path:
    """``apt-get download``; after one ``apt-get update`` when the lists do not have it."""
    problems = []
    for refresh in (False, True):
        if refresh:
            subprocess.run(
                ["apt-get", "update", "-qq"], capture_output=True, timeout=300, check=False
            )
        done = subprocess.run(
            ["apt-get", "download", PACKAGE],
            cwd=into,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        debs = sorted(into.glob(f"{PACKAGE}_*.deb"))
        if done.returncode == 0 and debs:
            return debs[0]
        problems.append(done.stderr.strip().splitlines()[-1:] or [f"rc={done.returncode}"])
    pytest.fail(f"cannot download Debian's {PACKAGE} with apt-get: {problems[-1][0]}")


def _unpack(deb: Path, target: Path) -> None:
    """Extract into a sibling and rename, so a half-extracted tree is never taken as done."""
    partial = Path(tempfile.mkdtemp(prefix="kvcri-unpack-", dir=target.parent))
    try:
        subprocess.run(
            ["dpkg-deb", "-x", str(deb), str(partial)], check=True, timeout=120, capture_output=True
        )
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


@pytest.fixture(scope="session")
def debian_containerd_bin() -> Path:
    """The bin dir of Debian's containerd (containerd, its shims, ctr), downloaded at most once."""
    home = cache_root() / "debian"
    target = home / PACKAGE
    binary = target / "usr" / "bin" / "containerd"
    if binary.is_file():
        return binary.parent
    home.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    download = Path(tempfile.mkdtemp(prefix="kvcri-deb-", dir=home))
    try:
        _unpack(_download(download), target)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    if not binary.is_file():
        pytest.fail(f"Debian's {PACKAGE} package has no usr/bin/containerd")
    return binary.parent
