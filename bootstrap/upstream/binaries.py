"""The upstream binaries of one Kubernetes release, in a verified cache directory.

``ensure_binaries`` is what the cluster fixtures and ``kubeadm-verify binaries`` call: it returns
``$XDG_CACHE_HOME/kubeadm-verify/bin/<version>/`` holding kube-apiserver,
kube-controller-manager, kube-scheduler, kubectl, kubeadm, kubelet, kube-proxy, etcd and kwok,
downloading or building them only when that directory is not already complete. The etcd is the
one that release's kubeadm pins (``kubeadm_verify.pins.release_pins``), so each release
supported has its own set. Every binary is run once with ``--version``
before the directory is published, so a cache entry is known to be the release it claims.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.runonce import run_once
from bootstrap.upstream.versions import (
    ALL_BINARIES,
    DEFAULT_MIRROR,
    KWOK_VERSION,
    SERVER_BINARIES,
    bin_dir,
    goarch,
    normalise_version,
)
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.pins import release_pins

SOURCES = ("auto", "download", "build")
_VERSION_TIMEOUT = 60


def _say(text: str) -> None:
    stderr.line(f"[binaries] {text}")


def version_command(name: str) -> list[str]:
    """The arguments that make each binary print its version."""
    if name == "kubectl":
        return ["version", "--client"]
    if name == "kubeadm":
        return ["version", "--output", "short"]
    return ["--version"]


def expected_version_line(name: str, version: str) -> str:
    """The line each binary prints for the release we pin (exact, so v1.37.2 ≠ v1.37.20)."""
    if name == "kubectl":
        return f"Client Version: {version}"
    if name == "kubeadm":
        return version
    if name == "etcd":
        return f"etcd Version: {release_pins(version).etcd_version.lstrip('v')}"
    if name == "kwok":
        return KWOK_VERSION
    return f"Kubernetes {version}"


def version_problem(name: str, output: str, version: str) -> str | None:
    """Why ``output`` of ``name``'s version command is not the expected release, or None."""
    want = expected_version_line(name, version)
    if name == "kwok":  # "kwok version v0.8.0 go1.26.8 (linux/amd64)": the tag is one word
        found = any(want in line.split() for line in output.splitlines())
    else:
        found = any(line.strip() == want for line in output.splitlines())
    if found:
        return None
    first = output.strip().splitlines()[0] if output.strip() else "nothing"
    return f"{name} reports {first!r}, expected {want!r}"


def check_versions(directory: Path, version: str) -> None:
    """Run every binary once; a wrong or crashing binary must never reach the cache."""
    for name in ALL_BINARIES:
        argv = [str(directory / name), *version_command(name)]
        proc = run_once(argv, _VERSION_TIMEOUT, f"{name} {version}: cannot run its version check")
        problem = version_problem(name, proc.stdout + proc.stderr, version)
        if proc.returncode != 0 or problem is not None:
            raise BootstrapError(problem or f"{name} --version exited {proc.returncode}")
    etcd = release_pins(version).etcd_version
    _say(f"versions checked: Kubernetes {version}, etcd {etcd}, kwok {KWOK_VERSION}")


def try_download(version: str, mirror: str, tmp: Path, *, fall_back: bool) -> bool:
    """Download the release binaries; False when the mirror is unreachable and we may build."""
    from bootstrap.upstream.download import (  # requests: only here
        MirrorUnreachable,
        download_release,
    )

    arch = goarch()
    _say(f"downloading {', '.join(SERVER_BINARIES)} {version} ({arch}) from {mirror}")
    try:
        download_release(mirror, version, arch, SERVER_BINARIES, tmp)
    except MirrorUnreachable as exc:
        if not fall_back:
            raise
        _say(f"{exc}; building from the published Go modules instead (--source auto)")
        return False
    return True


def _produce(version: str, source: str, mirror: str, tmp: Path) -> tuple[str, dict[str, str]]:
    """Fill ``tmp`` with every binary; return the manifest's source and each file's origin."""
    from bootstrap.upstream.gobuild import GoBuild  # imported only when something must be built

    started = time.monotonic()
    builder = GoBuild.for_version(version)  # fails fast if go is missing: etcd always needs it
    auto = source == "auto"
    downloaded = source != "build" and try_download(version, mirror, tmp, fall_back=auto)
    if downloaded:
        _say("etcd and kwok are not published on dl.k8s.io: building them from their Go modules")
    else:
        builder.build_kubernetes(tmp)
    builder.build_etcd(tmp)
    builder.build_kwok(tmp)
    check_versions(tmp, version)
    origin = "download" if downloaded else "build"
    origins = dict.fromkeys(SERVER_BINARIES, origin) | {"etcd": "build", "kwok": "build"}
    _say(f"{version} complete in {time.monotonic() - started:.0f}s")
    return origin, origins


def ensure_binaries(
    version: str | None = None, source: str = "auto", mirror: str = DEFAULT_MIRROR
) -> Path:
    """The directory of ``version``'s binaries, complete and verified; built at most once.
    A release without pins (``release_pins``) is refused before anything is fetched."""
    release = release_pins(normalise_version(version)).kubernetes_version
    if source not in SOURCES:
        raise UsageError(f"--source {source!r}: expected one of {', '.join(SOURCES)}")
    produce = partial(_produce, release, source, mirror)
    return ensure_populated(bin_dir(release), release, ALL_BINARIES, produce)
