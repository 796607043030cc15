"""docker-archive image tarballs with one layer, written byte-for-byte reproducibly.

The format is what ``docker save`` writes and ``ctr images import`` reads: a ``manifest.json``
naming the config and the layers with every tag the image answers to, the config (an OCI image
config: entrypoint, env, the layer's diff id) under its own sha256, and the layer as a plain tar.
Every tar header is normalised (owner root, mtime 0, sorted paths), so the same inputs give the
same image id on every machine and a rebuilt cache holds identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Entry:
    """One path in the image's filesystem: a file (from ``source`` or ``data``), a directory
    or a symlink to ``target``."""

    path: str
    kind: str = "file"
    mode: int = 0o755
    source: Path | None = None
    data: bytes | None = None
    target: str = ""

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.source is None:
            raise ValueError(f"{self.path}: a file entry needs a source or data")
        return self.source.read_bytes()


@dataclass(frozen=True)
class ImageSpec:
    """An image: the tags it is imported under, its files and how it starts."""

    tags: tuple[str, ...]
    entries: tuple[Entry, ...]
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = field(default=(f"PATH={DEFAULT_PATH}",))
    workdir: str = "/"

    @property
    def file_name(self) -> str:
        """``registry.k8s.io/coredns/coredns:v1.14.6`` → ``coredns_coredns_v1.14.6.tar``."""
        name = self.tags[0].split("/", 1)[-1]
        return name.replace("/", "_").replace(":", "_") + ".tar"


def _parents(path: str) -> list[str]:
    parts = PurePosixPath(path.lstrip("/")).parts[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _info(name: str, kind: bytes, mode: int, size: int = 0, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.linkname = kind, mode, size, target
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def layer_tar(entries: Iterable[Entry]) -> bytes:
    """The layer: parent directories implied, paths sorted, headers normalised."""
    by_path = {entry.path.lstrip("/"): entry for entry in entries}
    dirs = {parent for path in by_path for parent in _parents(path)} - set(by_path)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(dirs | set(by_path)):
            entry = by_path.get(name)
            if entry is None or entry.kind == "dir":
                tar.addfile(_info(name, tarfile.DIRTYPE, entry.mode if entry else 0o755))
            elif entry.kind == "symlink":
                tar.addfile(_info(name, tarfile.SYMTYPE, 0o777, target=entry.target))
            else:
                data = entry.content()
                tar.addfile(_info(name, tarfile.REGTYPE, entry.mode, len(data)), io.BytesIO(data))
    return buffer.getvalue()


def image_config(spec: ImageSpec, diff_id: str, arch: str) -> dict[str, Any]:
    config: dict[str, Any] = {"Env": list(spec.env), "WorkingDir": spec.workdir}
    if spec.entrypoint:
        config["Entrypoint"] = list(spec.entrypoint)
    if spec.cmd:
        config["Cmd"] = list(spec.cmd)
    return {
        "architecture": arch,
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
    }


def _json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def archive_members(spec: ImageSpec, arch: str) -> list[tuple[str, bytes]]:
    """The archive's members in order: layer, config, manifest (names from their digests)."""
    layer = layer_tar(spec.entries)
    diff_id = hashlib.sha256(layer).hexdigest()
    config = _json(image_config(spec, diff_id, arch))
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    layer_name = f"{diff_id}/layer.tar"
    manifest = _json([{"Config": config_name, "RepoTags": list(spec.tags), "Layers": [layer_name]}])
    return [(layer_name, layer), (config_name, config), ("manifest.json", manifest)]


def write_archive(spec: ImageSpec, out: Path, arch: str) -> Path:
    """Write ``spec`` as a docker-archive tarball named after its first tag, in ``out``."""
    path = out / spec.file_name
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in archive_members(spec, arch):
            if "/" in name:
                tar.addfile(_info(name.split("/", 1)[0], tarfile.DIRTYPE, 0o755))
            tar.addfile(_info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    return path


def image_id(spec: ImageSpec, arch: str) -> str:
    """``sha256:<config digest>``, the id containerd gives the imported image."""
    members = dict(archive_members(spec, arch))
    manifest = json.loads(members["manifest.json"])
    return "sha256:" + str(manifest[0]["Config"]).removesuffix(".json")


def tags_of(specs: Sequence[ImageSpec]) -> list[str]:
    return [tag for spec in specs for tag in spec.tags]
