"""Pins, version strings and cache paths: the inputs every other binaries module trusts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.upstream import versions
from kubeadm_verify.errors import UsageError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "v1.37.2"),
        ("1.37.2", "v1.37.2"),
        ("v1.36.0", "v1.36.0"),
        (" v1.37.10 ", "v1.37.10"),
    ],
)
def test_normalise_version_accepts_plain_releases(given: str | None, expected: str) -> None:
    assert versions.normalise_version(given) == expected


@pytest.mark.parametrize(
    "bad", ["latest", "v1.37", "v1.37.2-rc.1", "v1.37.2/../x", "../v1.37.2", ""]
)
def test_normalise_version_refuses_anything_else(bad: str) -> None:
    with pytest.raises(UsageError, match="expected a release like"):
        versions.normalise_version(bad)


def test_staging_modules_are_v0_of_the_same_minor_and_patch() -> None:
    assert versions.staging_version("v1.37.2") == "v0.37.2"
    assert versions.staging_version("v1.9.14") == "v0.9.14"


@pytest.mark.parametrize(
    ("machine", "arch"), [("x86_64", "amd64"), ("aarch64", "arm64"), ("ARM64", "arm64")]
)
def test_goarch_uses_go_names(machine: str, arch: str) -> None:
    assert versions.goarch(machine) == arch


def test_goarch_refuses_unknown_machines() -> None:
    with pytest.raises(UsageError, match="mips"):
        versions.goarch("mips")


def test_cache_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert versions.bin_dir("v1.37.2") == tmp_path / "kubeadm-verify" / "bin" / "v1.37.2"
    assert versions.testpkg_dir("v1.37.2") == tmp_path / "kubeadm-verify" / "testpkg" / "v1.37.2"
    assert versions.gobuild_dir("v1.37.2") == tmp_path / "kubeadm-verify" / "gobuild" / "v1.37.2"


def test_cache_defaults_to_dot_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert versions.cache_root() == tmp_path / ".cache" / "kubeadm-verify"


def test_pins_match_what_the_pinned_release_expects() -> None:
    assert versions.KUBERNETES_VERSION == "v1.37.2"
    assert versions.ETCD_VERSION == "v3.7.0"
    assert versions.KWOK_VERSION == "v0.8.0"
    assert versions.GINKGO_VERSION == "v2.32.0"
    assert set(versions.ALL_BINARIES) == {
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubectl",
        "kubeadm",
        "kubelet",
        "kube-proxy",
        "etcd",
        "kwok",
    }
