"""The control plane's images, built from the pinned binaries under the names kubeadm asks for.

``kubeadm config images list`` says which images a kubeadm needs (the user's own kubeadm may
pin other tags); kube-apiserver, kube-controller-manager, kube-scheduler and etcd are built here,
one layer each (the binary in ``/usr/local/bin``, on the default PATH, where kubeadm's manifests
find it by name), with the existing image writer, and cached like the node images. The others it
lists (CoreDNS, pause) are node images already; one it lists that neither set has stops the
bring-up, naming it: nothing may ever be pulled.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.images.archive import Entry, ImageSpec, write_archive
from bootstrap.upstream.images.catalog import GROUP, PASSWD, image_names
from bootstrap.upstream.versions import cache_root, goarch
from kubeadm_verify.errors import BootstrapError

COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
LIST_TIMEOUT_S = 60.0
REVISION = 1
"""Raised whenever what goes into these images changes."""


def listed_images(kubeadm: Path, version: str) -> list[str]:
    """``kubeadm config images list`` for ``version`` (given, so nothing is looked up)."""
    argv = [str(kubeadm), "config", "images", "list", "--kubernetes-version", version]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=LIST_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BootstrapError(f"{kubeadm} config images list: {error}") from error
    if done.returncode != 0:
        said = (done.stderr.strip() or "no output").splitlines()[-1]
        raise BootstrapError(f"{kubeadm} config images list failed: {said}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def component_of(image: str) -> str:
    """``registry.k8s.io/kube-apiserver:v1.37.2`` → ``kube-apiserver``."""
    return image.rsplit("/", 1)[-1].split(":", 1)[0]


def control_plane_specs(images: list[str], binaries: Path) -> list[ImageSpec]:
    specs = []
    for image in images:
        name = component_of(image)
        if name in COMPONENTS:
            entries = (
                Entry(f"/usr/local/bin/{name}", source=binaries / name),
                Entry("/etc/passwd", data=PASSWD, mode=0o644),
                Entry("/etc/group", data=GROUP, mode=0o644),
                Entry("/tmp", kind="dir", mode=0o1777),  # noqa: S108 (inside the image)
            )
            specs.append(ImageSpec((image,), entries))
    return specs


def unprovided(images: list[str], version: str) -> list[str]:
    """Listed images neither built here nor among the node images."""
    node = set(image_names(version))
    return [i for i in images if component_of(i) not in COMPONENTS and i not in node]


def images_dir(images: list[str]) -> Path:
    key = hashlib.sha256("\n".join(sorted(images)).encode()).hexdigest()[:12]
    return cache_root() / "images" / f"control-plane-{key}-r{REVISION}"


def _produce(specs: list[ImageSpec], tmp: Path) -> tuple[str, dict[str, str]]:
    started = time.monotonic()
    names = [write_archive(spec, tmp, goarch()).name for spec in specs]
    took = time.monotonic() - started
    print(f"[images] {len(names)} control-plane images in {took:.1f}s", file=sys.stderr)
    return "build", dict.fromkeys(names, "build")


def ensure_control_plane_images(kubeadm: Path, binaries: Path, version: str) -> Path:
    """The directory of the control plane's image archives for what ``kubeadm`` lists."""
    images = listed_images(kubeadm, version)
    missing = unprovided(images, version)
    if missing:
        raise BootstrapError(
            f"{kubeadm} wants images this machine cannot provide: {', '.join(missing)}"
        )
    specs = control_plane_specs(images, binaries)
    if len(specs) != len(COMPONENTS):
        raise BootstrapError(
            f"{kubeadm} config images list names {len(specs)} of the control plane's "
            f"{len(COMPONENTS)} images: {', '.join(images)}"
        )
    required = [spec.file_name for spec in specs]
    return ensure_populated(images_dir(images), version, required, partial(_produce, specs))
