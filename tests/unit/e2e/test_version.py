"""Versions: the server's gitVersion reduced to a release, the flag checked, the minor derived."""

from __future__ import annotations

import pytest

from conformance.e2e.version import minor_of, release_of, requested_version
from kubeadm_verify.errors import UsageError


@pytest.mark.parametrize(
    ("git_version", "release"),
    [
        ("v1.37.2", "v1.37.2"),
        ("v1.37.2+k3s1", "v1.37.2"),
        ("v1.37.2-eks-5e0fdde", "v1.37.2"),
        ("v1.38.0-rc.1", "v1.38.0-rc.1"),
        ("v1.38.0-rc.1+abc", "v1.38.0-rc.1"),
        ("1.37.02", "v1.37.2"),
        ("v1.37", None),
        ("v1.37.2x", None),
        ("banana", None),
    ],
)
def test_release_of(git_version: str, release: str | None) -> None:
    assert release_of(git_version) == release


def test_requested_version_accepts_only_releases() -> None:
    assert requested_version("1.37.2") == "v1.37.2"
    assert requested_version("v1.38.0-beta.0") == "v1.38.0-beta.0"
    for bad in ("v1.37.2+k3s1", "latest", "v1.37.2/../x", "v1.37"):
        with pytest.raises(UsageError, match="expected a release"):
            requested_version(bad)


def test_minor_of() -> None:
    assert minor_of("v1.37.2") == "v1.37"
    assert minor_of("v1.38.0-rc.1") == "v1.38"
    with pytest.raises(UsageError):
        minor_of("nope")
