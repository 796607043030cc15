"""The node images as archives in ``<cache>/images/<version>/``, and loading them into a node.

Built once like the binaries (``bootstrap.upstream.cache``: staging dir, manifest, sha256 checked on
use). Loading is ``ctr -n k8s.io images import`` against one node's containerd, followed by a
check that every expected name is there: a node never starts its kubelet with an image missing,
because the kubelet would then try a registry pull.
"""

from __future__ import annotations

import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.images.archive import write_archive
from bootstrap.upstream.images.catalog import image_names, node_images
from bootstrap.upstream.nodeparts import NodeParts
from bootstrap.upstream.versions import cache_root, goarch
from kubeadm_verify.errors import BootstrapError

NAMESPACE = "k8s.io"
"""The containerd namespace the CRI plugin serves."""
_CTR_TIMEOUT = 120


CATALOG_REVISION = 5
"""Raised whenever what goes into an image changes, so a cache built before is not reused."""


def images_dir(version: str) -> Path:
    return cache_root() / "images" / f"{version}-r{CATALOG_REVISION}"


def archive_names(parts: NodeParts) -> list[str]:
    return [spec.file_name for spec in node_images(parts)]


def _produce(parts: NodeParts, tmp: Path) -> tuple[str, dict[str, str]]:
    started = time.monotonic()
    names = [write_archive(spec, tmp, goarch()).name for spec in node_images(parts)]
    print(
        f"[images] {len(names)} image archives in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return "build", dict.fromkeys(names, "build")


def ensure_images(parts: NodeParts) -> Path:
    """The directory of image archives for ``parts``'s release, built at most once."""
    required = [spec.file_name for spec in node_images(parts)]
    return ensure_populated(
        images_dir(parts.version), parts.version, required, partial(_produce, parts)
    )


def ctr_argv(ctr: Path, address: str, *args: str) -> list[str]:
    return [str(ctr), "--address", address, "--namespace", NAMESPACE, *args]


def _ctr(argv: list[str]) -> str:
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            timeout=_CTR_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BootstrapError(f"{' '.join(argv[3:6])}: {exc}") from exc
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise BootstrapError(f"ctr {' '.join(argv[5:7])} failed: {said[-1] if said else ''}")
    return proc.stdout


SYSTEM_PREFIXES = ("pause_", "kube-proxy_", "coredns_")
"""Archives of the images the node's own system pods run: needed before the kubelet starts."""


def is_system(archive: Path) -> bool:
    return archive.name.startswith(SYSTEM_PREFIXES)


def import_archives(ctr: Path, address: str, archives: list[Path]) -> None:
    for archive in sorted(archives):  # ctr imports one archive per call
        _ctr(ctr_argv(ctr, address, "images", "import", "--local", str(archive)))


def check_loaded(ctr: Path, address: str, version: str) -> list[str]:
    """Every expected name present, or an error naming the missing ones."""
    listed = set(_ctr(ctr_argv(ctr, address, "images", "list", "--quiet")).split())
    missing = [name for name in image_names(version) if name not in listed]
    if missing:
        raise BootstrapError(f"images missing after import: {', '.join(missing)}")
    return sorted(listed)


def load_images(ctr: Path, address: str, directory: Path, version: str) -> list[str]:
    """Import every archive of ``directory``, then insist every expected name is present."""
    import_archives(ctr, address, list(directory.glob("*.tar")))
    return check_loaded(ctr, address, version)
