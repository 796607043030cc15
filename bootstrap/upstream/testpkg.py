"""The e2e tier's test package, built locally in the layout dl.k8s.io publishes.

The e2e tier fetches ``kubernetes-test-linux-<arch>.tar.gz`` (``kubernetes/test/bin/e2e.test``
and ``kubernetes/test/bin/ginkgo``) and its ``.sha256``; where dl.k8s.io is out of reach, tests
build the same artefact from the published Go modules and serve it from a local mirror. The
tarball is packed reproducibly (fixed mtimes, owners and gzip header) so its checksum depends only
on the binaries inside.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
from functools import partial
from pathlib import Path

from bootstrap.upstream.cache import ensure_populated, problem, sha256_file
from bootstrap.upstream.versions import GINKGO_VERSION, goarch, normalise_version, testpkg_dir
from kubeadm_verify.errors import BootstrapError

MEMBERS = ("e2e.test", "ginkgo")
_PREFIX = "kubernetes/test/bin"


def tarball_name(arch: str | None = None) -> str:
    return f"kubernetes-test-linux-{arch or goarch()}.tar.gz"


def _tarinfo(name: str, *, directory: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode, info.size, info.mtime = 0o755, size, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def pack(source_dir: Path, tarball: Path) -> None:
    """Pack ``source_dir``'s e2e.test and ginkgo under ``kubernetes/test/bin/``, as upstream."""
    with (
        tarball.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0, filename="") as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for directory in ("kubernetes", "kubernetes/test", _PREFIX):
            tar.addfile(_tarinfo(directory + "/", directory=True))
        for member in MEMBERS:
            path = source_dir / member
            info = _tarinfo(f"{_PREFIX}/{member}", directory=False, size=path.stat().st_size)
            with path.open("rb") as handle:
                tar.addfile(info, handle)


def write_checksum(tarball: Path) -> Path:
    """The sibling ``.sha256`` in dl.k8s.io's form: the bare lowercase hex digest."""
    target = tarball.with_name(tarball.name + ".sha256")
    target.write_text(sha256_file(tarball))
    return target


def _check(argv: list[str], want: str) -> None:
    proc = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL
    )
    lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines()]
    if proc.returncode != 0 or want not in lines:
        raise BootstrapError(f"{Path(argv[0]).name} reports {lines[:1]}, expected {want!r}")


def _produce(version: str, tmp: Path) -> tuple[str, dict[str, str]]:
    from bootstrap.upstream.gobuild import GoBuild

    build = GoBuild.for_version(version)
    work = tmp / "work"
    work.mkdir()
    build.build_e2e_test(work)
    build.build_ginkgo(work)
    _check([str(work / "e2e.test"), "--version"], version)
    _check([str(work / "ginkgo"), "version"], f"Ginkgo Version {GINKGO_VERSION.lstrip('v')}")
    name = tarball_name()
    pack(work, tmp / name)
    write_checksum(tmp / name)
    shutil.rmtree(work)
    return "build", {name: "build", f"{name}.sha256": "build"}


def _place(source: Path, dest: Path) -> None:
    """Put a copy of ``source`` at ``dest`` atomically: a hard link where possible."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


def build_test_package(version: str | None, dest_dir: Path) -> Path:
    """The test tarball for ``version`` in ``dest_dir`` (with its ``.sha256``); built once,
    then served from ``$XDG_CACHE_HOME/kubeadm-verify/testpkg/<version>/``."""
    release = normalise_version(version)
    name = tarball_name()
    cache = ensure_populated(
        testpkg_dir(release), release, (name, f"{name}.sha256"), partial(_produce, release)
    )
    dest_dir.mkdir(parents=True, exist_ok=True)
    if dest_dir.resolve() != cache.resolve():
        for filename in (name, f"{name}.sha256"):
            _place(cache / filename, dest_dir / filename)
    return dest_dir / name


def e2e_test_package_cached(version: str | None = None) -> Path | None:
    """The cached, verified test tarball of ``version``, or None: never builds anything."""
    release = normalise_version(version)
    name = tarball_name()
    directory = testpkg_dir(release)
    return directory / name if problem(directory, (name, f"{name}.sha256")) is None else None
