"""The upstream versions this suite pins, and where their binaries are cached.

Every pin lives here so that moving to a new Kubernetes release is a one-file change. The etcd
pin follows kubeadm's ``constants.DefaultEtcdVersion`` for the pinned release; the ginkgo pin is
the version ``k8s.io/kubernetes``'s own go.mod requires, so the test runner matches the e2e
binary it drives.
"""

from __future__ import annotations

import os
import re

from kubeadm_verify.errors import UsageError
from kubeadm_verify.pins import ETCD_VERSION as ETCD_VERSION
from kubeadm_verify.pins import GINKGO_VERSION as GINKGO_VERSION
from kubeadm_verify.pins import KUBERNETES_VERSION as KUBERNETES_VERSION
from kubeadm_verify.pins import KWOK_VERSION as KWOK_VERSION

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

KUBERNETES_MODULE = "k8s.io/kubernetes"
ETCD_MODULE = "go.etcd.io/etcd/server/v3"
KWOK_PACKAGE = "sigs.k8s.io/kwok/cmd/kwok"
GINKGO_PACKAGE = "github.com/onsi/ginkgo/v2/ginkgo"
E2E_PACKAGE = "k8s.io/kubernetes/test/e2e"

SERVER_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kubeadm",
    "kubelet",
    "kube-proxy",
)
"""Published on dl.k8s.io for every release; built from ``k8s.io/kubernetes/cmd/<name>``."""
EXTRA_BINARIES = ("etcd", "kwok")
"""Not on dl.k8s.io: always built from their Go modules."""
ALL_BINARIES = SERVER_BINARIES + EXTRA_BINARIES

DEFAULT_MIRROR = "https://dl.k8s.io"

# Compiled at first use (re's own cache), not on import: most runs never need it, and the
# node tier's start is timed against kubeadm's.
_VERSION_RE = r"^v?(\d+)\.(\d+)\.(\d+)$"
_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def normalise_version(version: str | None) -> str:
    """``1.37.2`` or ``v1.37.2`` → ``v1.37.2``; anything else is refused.

    The version becomes part of paths, URLs and go.mod lines, so only plain stable release
    numbers are accepted: no pre-releases, no path separators, nothing a shell could misread.
    """
    if version is None:
        return KUBERNETES_VERSION
    match = re.match(_VERSION_RE, version.strip())
    if match is None:
        raise UsageError(f"--kubernetes-version {version!r}: expected a release like v1.37.2")
    return "v{}.{}.{}".format(*match.groups())


def version_parts(version: str) -> tuple[int, int, int]:
    """The numeric major, minor and patch of a normalised version."""
    match = re.match(_VERSION_RE, version)
    if match is None:
        raise UsageError(f"not a release version: {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def staging_version(version: str) -> str:
    """The ``k8s.io/*`` staging modules are published as v0.<minor>.<patch> of each release."""
    _, minor, patch = version_parts(version)
    return f"v0.{minor}.{patch}"


def goarch(machine: str | None = None) -> str:
    """Go's name for this machine's architecture, as used in release URLs and tarball names."""
    name = (machine or os.uname().machine).lower()  # platform's answer, without its import
    try:
        return _GOARCH[name]
    except KeyError:
        raise UsageError(f"no Kubernetes release binaries for architecture {name!r}") from None


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/kubeadm-verify``, defaulting to ``~/.cache/kubeadm-verify``.

    Read on every call (never at import) so tests and callers can point it elsewhere.
    """
    from pathlib import Path  # not at import: the node tier reads this module's pins only

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubeadm-verify"


def bin_dir(version: str) -> Path:
    """Where the binaries of one release live once complete."""
    return cache_root() / "bin" / version


def gobuild_dir(version: str) -> Path:
    """Where the generated Go modules and the build log of one release live."""
    return cache_root() / "gobuild" / version


def testpkg_dir(version: str) -> Path:
    """Where the packed e2e test package of one release lives once complete."""
    return cache_root() / "testpkg" / version
