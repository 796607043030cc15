"""Which release's e2e binary to fetch: the server's exact ``vX.Y.Z``, or the one asked for.

The e2e binary must match the cluster's version, so distribution suffixes are dropped the way
hydrophone and sonobuoy drop them (``v1.37.2+k3s1`` and ``v1.37.2-eks-5e0fdde`` both run the
v1.37.2 tests), while upstream pre-releases (``-rc.1``) are kept because dl.k8s.io publishes test
packages for them. The result becomes part of URLs and cache paths, so nothing else gets through.
"""

from __future__ import annotations

import re

from kubeadm_verify.errors import UsageError

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(-(?:alpha|beta|rc)\.\d+)?(?=$|[-+])")
_FLAG = re.compile(r"^v?\d+\.\d+\.\d+(-(?:alpha|beta|rc)\.\d+)?$")


def release_of(git_version: str) -> str | None:
    """``vX.Y.Z[-rc.N]`` from a ``gitVersion``, or None when it does not start with one."""
    match = _RELEASE.match(git_version.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return f"v{int(major)}.{int(minor)}.{int(patch)}{pre or ''}"


def requested_version(flag: str) -> str:
    """The ``--kubernetes-version`` value, normalised, or a usage error naming it."""
    release = release_of(flag) if _FLAG.match(flag.strip()) else None
    if release is None:
        raise UsageError(f"--kubernetes-version {flag!r}: expected a release like v1.37.2")
    return release


def minor_of(version: str) -> str:
    """``v1.37.2`` → ``v1.37``: conformance lists and CNCF submissions are per minor release."""
    match = _RELEASE.match(version)
    if match is None:
        raise UsageError(f"not a release version: {version!r}")
    return f"v{int(match.group(1))}.{int(match.group(2))}"
