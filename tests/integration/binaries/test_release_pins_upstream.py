"""Each supported release's pins are what its kubeadm pins: read from the release's own source
(``cmd/kubeadm/app/constants/constants.go`` of its module) and asked of its built kubeadm
(``kubeadm config images list``), so a table entry copied wrong, or a release moved without
moving its pins, fails here rather than as a cluster that pulls an image nobody built."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from bootstrap.upstream.binaries import ensure_binaries
from bootstrap.upstream.gorun import go_binary, go_env
from bootstrap.upstream.versions import KUBERNETES_MODULE
from kubeadm_verify.pins import RELEASES, ReleasePins

pytestmark = pytest.mark.integration
CONSTANTS = "cmd/kubeadm/app/constants/constants.go"
TIMEOUT_S = 300


def _module_dir(version: str) -> Path:
    """The release's module source, from Go's module cache (downloaded if it is not there)."""
    argv = [go_binary(), "mod", "download", "-json", f"{KUBERNETES_MODULE}@{version}"]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False, env=go_env()
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(json.loads(done.stdout)["Dir"])


def _constant(source: str, name: str) -> str:
    found = re.search(rf'^\s*{name}\s*=\s*"([^"]+)"', source, re.M)
    assert found is not None, f"{name} is not in {CONSTANTS}"
    return found.group(1)


@pytest.mark.parametrize("pins", list(RELEASES.values()), ids=list(RELEASES))
def test_the_pins_are_the_release_s_kubeadm_constants(pins: ReleasePins) -> None:
    source = (_module_dir(pins.kubernetes_version) / CONSTANTS).read_text()
    assert _constant(source, "DefaultEtcdVersion") == pins.etcd_image_tag
    assert _constant(source, "CoreDNSVersion") == pins.coredns_version


@pytest.mark.parametrize("pins", list(RELEASES.values()), ids=list(RELEASES))
def test_the_release_s_kubeadm_lists_the_pinned_images(pins: ReleasePins) -> None:
    kubeadm = ensure_binaries(pins.kubernetes_version) / "kubeadm"
    argv = [str(kubeadm), "config", "images", "list"]
    argv += ["--kubernetes-version", pins.kubernetes_version]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split()
    assert f"registry.k8s.io/etcd:{pins.etcd_image_tag}" in listed, listed
    assert f"registry.k8s.io/coredns/coredns:{pins.coredns_version}" in listed, listed
    assert f"registry.k8s.io/kube-apiserver:{pins.kubernetes_version}" in listed, listed
