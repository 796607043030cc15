"""The per-release pins: what each supported release's kubeadm pins (etcd, CoreDNS), looked up
by version, and every piece built per release following them (the binaries' etcd, the node
parts' CoreDNS, the images' tags, what ``kubeadm config images list`` may ask for); a release
without pins refused once, naming the supported ones, before anything is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.kubeadmrun import cpimages
from bootstrap.upstream.binaries import ensure_binaries, expected_version_line, version_problem
from bootstrap.upstream.gobuild import GoBuild
from bootstrap.upstream.images.catalog import (
    coredns_image,
    etcd_image,
    image_names,
    suite_etcd_images,
)
from bootstrap.upstream.nodeparts import NodeParts
from bootstrap.upstream.nodeparts.parts import ensure_node_parts, expected_version_token
from bootstrap.upstream.nodeparts.parts import version_problem as part_problem
from bootstrap.upstream.versions import version_parts
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.pins import (
    AGNHOST_TAG,
    COREDNS_VERSION,
    ETCD_IMAGE_TAG,
    ETCD_VERSION,
    KUBERNETES_VERSION,
    RELEASES,
    UPGRADE_FROM_VERSION,
    release_pins,
)
from tests.unit.debiantools import DEBIAN_TOOLS

OLD = "v1.36.3"


def test_the_pinned_release_s_pins_are_the_global_names() -> None:
    pinned = release_pins()
    assert pinned == release_pins(KUBERNETES_VERSION)
    assert (pinned.etcd_image_tag, pinned.etcd_version) == (ETCD_IMAGE_TAG, ETCD_VERSION)
    assert pinned.coredns_version == COREDNS_VERSION
    assert next(iter(RELEASES)) == KUBERNETES_VERSION


def test_v1_36_3_pins_what_its_kubeadm_does() -> None:
    """kubeadm v1.36.3's constants.go: DefaultEtcdVersion 3.6.8-0, CoreDNSVersion v1.14.2."""
    for spelled in ("v1.36.3", "1.36.3", " v1.36.3 "):
        pins = release_pins(spelled)
        assert pins.kubernetes_version == OLD
        assert (pins.etcd_image_tag, pins.etcd_version) == ("3.6.8-0", "v3.6.8")
        assert pins.coredns_version == "v1.14.2"


def test_an_upgrade_starts_from_the_previous_minor() -> None:
    assert UPGRADE_FROM_VERSION == OLD
    assert UPGRADE_FROM_VERSION in RELEASES
    old, new = version_parts(UPGRADE_FROM_VERSION), version_parts(KUBERNETES_VERSION)
    assert (old[0], old[1] + 1) == new[:2]


@pytest.mark.parametrize("version", ["v1.36.1", "v1.37.3", "1.38.0", "latest"])
def test_a_release_without_pins_is_refused_naming_the_supported_ones(version: str) -> None:
    with pytest.raises(UsageError) as raised:
        release_pins(version)
    assert str(raised.value) == (
        f"Kubernetes {version}: not a release this suite builds (supported: v1.37.2, v1.36.3)"
    )


def test_binaries_of_a_release_without_pins_are_refused_before_anything_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(UsageError, match=r"supported: v1\.37\.2, v1\.36\.3"):
        ensure_binaries("v1.36.1", "build")
    with pytest.raises(UsageError, match="not a release this suite builds"):
        ensure_node_parts("v1.35.0")
    assert list(tmp_path.iterdir()) == []


def test_each_release_s_etcd_is_checked_at_its_own_pin(tmp_path: Path) -> None:
    assert expected_version_line("etcd", OLD) == "etcd Version: 3.6.8"
    assert expected_version_line("etcd", KUBERNETES_VERSION) == "etcd Version: 3.7.0"
    built_for_old = "etcd Version: 3.6.8\nGit SHA: GitNotFound\nGo Version: go1.26.8\n"
    assert version_problem("etcd", built_for_old, OLD) is None
    problem = version_problem("etcd", built_for_old, KUBERNETES_VERSION)
    assert problem is not None and "expected 'etcd Version: 3.7.0'" in problem
    assert version_problem("kubelet", "Kubernetes v1.36.3\n", OLD) is None
    assert GoBuild(OLD, tmp_path, None, "go").etcd_version == "v3.6.8"  # type: ignore[arg-type]


def test_each_release_s_coredns_is_checked_at_its_own_pin() -> None:
    assert expected_version_token("coredns", OLD) == "CoreDNS-1.14.2"
    assert expected_version_token("coredns") == "CoreDNS-1.14.6"
    old_build = "CoreDNS-1.14.2\nlinux/amd64, go1.26.8, \n"
    assert part_problem("coredns", old_build, OLD) is None
    assert part_problem("coredns", old_build) is not None
    assert expected_version_token("agnhost", OLD) == AGNHOST_TAG  # the suite's test image


def _parts(tmp_path: Path, version: str, suite: Path | None = None) -> NodeParts:
    host = DEBIAN_TOOLS
    bins = tmp_path / "bin" / version
    return NodeParts(tmp_path / "parts", bins, host, version, suite_binaries=suite)


def test_a_release_s_node_images_carry_its_kubeadm_s_tags(tmp_path: Path) -> None:
    names = image_names(OLD)
    assert len(names) == len(set(names))
    assert "registry.k8s.io/kube-proxy:v1.36.3" in names
    assert "registry.k8s.io/coredns/coredns:v1.14.2" in names
    assert "registry.k8s.io/etcd:3.6.8-0" in names
    assert f"registry.k8s.io/e2e-test-images/agnhost:{AGNHOST_TAG}" in names
    assert "registry.k8s.io/coredns/coredns:v1.14.6" not in names
    parts = _parts(tmp_path, OLD, tmp_path / "bin" / KUBERNETES_VERSION)
    assert coredns_image(parts).tags == ("registry.k8s.io/coredns/coredns:v1.14.2",)
    etcd = etcd_image(parts)
    assert etcd.tags == ("registry.k8s.io/etcd:3.6.8-0",)
    assert etcd.entries[0].source == tmp_path / "bin" / OLD / "etcd"


def test_the_suite_s_etcd_for_the_aggregator_is_the_pinned_release_s_everywhere(
    tmp_path: Path,
) -> None:
    """The aggregator spec (the pinned release's) asks for etcd 3.7.0-0 on any node: another
    release's nodes hold it beside their own, made of the pinned release's etcd."""
    suite = tmp_path / "bin" / KUBERNETES_VERSION
    assert f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}" in image_names(OLD)
    (image,) = suite_etcd_images(_parts(tmp_path, OLD, suite))
    assert image.tags == (f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}",)
    assert image.entries[0].source == suite / "etcd"
    with pytest.raises(BootstrapError, match="no pinned release's etcd"):
        suite_etcd_images(_parts(tmp_path, OLD))
    assert suite_etcd_images(_parts(tmp_path, KUBERNETES_VERSION)) == []
    pinned = image_names(KUBERNETES_VERSION)
    assert pinned.count(f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}") == 1


def test_what_kubeadm_v1_36_3_lists_is_all_provided() -> None:
    """``kubeadm config images list --kubernetes-version v1.36.3`` of kubeadm v1.36.3."""
    listed = [
        "registry.k8s.io/kube-apiserver:v1.36.3",
        "registry.k8s.io/kube-controller-manager:v1.36.3",
        "registry.k8s.io/kube-scheduler:v1.36.3",
        "registry.k8s.io/kube-proxy:v1.36.3",
        "registry.k8s.io/coredns/coredns:v1.14.2",
        "registry.k8s.io/pause:3.10.2",
        "registry.k8s.io/etcd:3.6.8-0",
    ]
    assert cpimages.unprovided(listed, OLD) == []
    assert cpimages.unprovided(listed, KUBERNETES_VERSION) == [listed[3], listed[4]]
