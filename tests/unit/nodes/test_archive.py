"""The image archive layout: what ``ctr images import`` reads, byte-for-byte reproducible."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from bootstrap.upstream.images.archive import (
    Entry,
    ImageSpec,
    archive_members,
    image_id,
    write_archive,
)

SPEC = ImageSpec(
    tags=("registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10"),
    entries=(
        Entry("/pause", data=b"#!binary"),
        Entry("/bin/sh", kind="symlink", target="busybox"),
        Entry("/usr/sbin/tool", data=b"x", mode=0o700),
        Entry("/tmp", kind="dir", mode=0o1777),
    ),
    entrypoint=("/pause",),
)


def _layer(members: dict[str, bytes]) -> tarfile.TarFile:
    name = next(n for n in members if n.endswith("/layer.tar"))
    return tarfile.open(fileobj=io.BytesIO(members[name]))


def test_manifest_names_every_tag_the_config_and_the_layer() -> None:
    members = dict(archive_members(SPEC, "amd64"))
    manifest = json.loads(members["manifest.json"])
    assert manifest == [
        {
            "Config": manifest[0]["Config"],
            "RepoTags": list(SPEC.tags),
            "Layers": [manifest[0]["Layers"][0]],
        }
    ]
    config = members[manifest[0]["Config"]]
    assert manifest[0]["Config"] == hashlib.sha256(config).hexdigest() + ".json"


def test_config_diff_id_is_the_layers_sha256_and_says_how_to_start() -> None:
    members = dict(archive_members(SPEC, "amd64"))
    manifest = json.loads(members["manifest.json"])[0]
    config = json.loads(members[manifest["Config"]])
    layer = members[manifest["Layers"][0]]
    assert config["rootfs"] == {
        "type": "layers",
        "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()],
    }
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert config["config"]["Entrypoint"] == ["/pause"]
    assert any(env.startswith("PATH=") for env in config["config"]["Env"])


def test_layer_has_parents_sorted_owned_by_root_at_time_zero() -> None:
    layer = _layer(dict(archive_members(SPEC, "amd64")))
    names = layer.getnames()
    assert names == sorted(names)
    assert {"bin", "usr", "usr/sbin"} <= set(names)
    for info in layer.getmembers():
        assert (info.uid, info.gid, info.mtime) == (0, 0, 0)
    assert layer.getmember("bin/sh").issym() and layer.getmember("bin/sh").linkname == "busybox"
    assert layer.getmember("tmp").mode == 0o1777
    assert layer.getmember("usr/sbin/tool").mode == 0o700
    pause = layer.extractfile("pause")
    assert pause is not None and pause.read() == b"#!binary"


def test_same_inputs_same_bytes_and_id(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first, second = write_archive(SPEC, one, "amd64"), write_archive(SPEC, two, "amd64")
    assert first.name == "pause_3.10.2.tar"
    assert first.read_bytes() == second.read_bytes()
    assert image_id(SPEC, "amd64") == image_id(SPEC, "amd64")
    assert image_id(SPEC, "amd64") != image_id(SPEC, "arm64")


def test_archive_file_holds_the_members(tmp_path: Path) -> None:
    path = write_archive(SPEC, tmp_path, "amd64")
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert sum(name.endswith("/layer.tar") for name in names) == 1


def test_file_name_flattens_the_repository_path() -> None:
    spec = ImageSpec(("registry.k8s.io/coredns/coredns:v1.14.6",), ())
    assert spec.file_name == "coredns_coredns_v1.14.6.tar"


def test_system_archives_are_the_node_pods_images() -> None:
    from bootstrap.upstream.images.cache import is_system
    from bootstrap.upstream.images.catalog import image_names

    names = [ImageSpec((tag,), ()).file_name for tag in image_names("v1.37.2")]
    system = sorted(name for name in names if is_system(Path(name)))
    assert system == [
        "coredns_coredns_v1.14.6.tar",
        "kube-proxy_v1.37.2.tar",
        "pause_3.10.2.tar",
        "pause_3.10.tar",
    ]
