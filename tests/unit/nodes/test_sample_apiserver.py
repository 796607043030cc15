"""The sample API server's build: which module version a release has, a program that is not it
refused before it reaches the cache, and its image beside the release's etcd."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.upstream.images.catalog import etcd_image, image_names, sample_apiserver_image
from bootstrap.upstream.nodeparts import NodeParts
from bootstrap.upstream.nodeparts.sampleapiserver import check, module_version
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.pins import KUBERNETES_VERSION, SAMPLE_APISERVER_TAG
from tests.unit.debiantools import DEBIAN_TOOLS


def test_the_module_version_follows_the_release() -> None:
    assert module_version("v1.37.2") == "v0.37.2"
    assert module_version("1.36.0") == "v0.36.0"
    assert module_version(KUBERNETES_VERSION) == SAMPLE_APISERVER_TAG


def test_a_program_that_is_not_the_sample_server_is_refused(tmp_path: Path) -> None:
    echo = tmp_path / "sample-apiserver"
    echo.write_text("#!/bin/sh\necho usage: something else\n")
    echo.chmod(0o755)
    with pytest.raises(BootstrapError, match="not the sample API server"):
        check(echo)
    with pytest.raises(BootstrapError, match="cannot run it"):
        check(tmp_path / "absent")


def _parts(tmp_path: Path, sample: Path | None) -> NodeParts:
    host = DEBIAN_TOOLS
    return NodeParts(tmp_path / "parts", tmp_path / "bin", host, "v1.37.2", sample)


def test_etcd_and_the_sample_server_are_node_images(tmp_path: Path) -> None:
    sample = tmp_path / "built" / "sample-apiserver"
    parts = _parts(tmp_path, sample)
    etcd, server = etcd_image(parts), sample_apiserver_image(parts)
    assert etcd.entries[0].path == "/usr/local/bin/etcd"
    assert etcd.entries[0].source == tmp_path / "bin" / "etcd"
    assert server.entrypoint == ("/sample-apiserver",)
    assert (server.entries[0].path, server.entries[0].source) == ("/sample-apiserver", sample)
    names = image_names("v1.37.2")
    assert {*etcd.tags, *server.tags} <= set(names)
    assert "kubeadm-verify.local/sample-apiserver:v0.37.2" in server.tags
    assert "registry.k8s.io/etcd:3.7.0-0" in etcd.tags


def test_without_the_sample_server_its_image_cannot_be_made(tmp_path: Path) -> None:
    with pytest.raises(BootstrapError, match="no sample API server"):
        sample_apiserver_image(_parts(tmp_path, None))
