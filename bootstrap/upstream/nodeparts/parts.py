"""Building the node parts once into ``<cache>/nodeparts/<version>/``, verified like the binaries.

The directory follows ``bootstrap.upstream.cache``'s rules: filled in a staging directory, every
program run once with its version flag, published with a manifest, checked by size and sha256 on
every later use, so a second run builds nothing. containerd and CoreDNS are built with
``go install module/cmd@version`` (each with its own go.mod, exactly as released); agnhost comes
from the pinned ``k8s.io/kubernetes`` module through a generated module pinned like the server
binaries' (``bootstrap.upstream.gomod``); the pause program is ours.

Each release has its own directory: the CoreDNS in it is the one that release's kubeadm pins
(``kubeadm_verify.pins.release_pins``). The test programs (agnhost, the sample API server) are
the suite's, the same for every release: the tests that run them are the pinned release's, and
ask for them under the pinned release's tags.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bootstrap.upstream import gomod
from bootstrap.upstream.binaries import ensure_binaries
from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.gobuild import GoBuild
from bootstrap.upstream.nodeparts.debian import HostTools, find_host_tools
from bootstrap.upstream.nodeparts.pause import PAUSE_GO, PAUSE_MODULE
from bootstrap.upstream.nodeparts.pins import (
    AGNHOST_PACKAGE,
    AGNHOST_TAG,
    BUILT,
    CONTAINERD_COMMANDS,
    CONTAINERD_MODULE,
    CONTAINERD_TAGS,
    CONTAINERD_VERSION,
    COREDNS_MODULE,
    PAUSE_VERSION,
)
from bootstrap.upstream.nodeparts.sampleapiserver import ensure_sample_apiserver
from bootstrap.upstream.runonce import run_once
from bootstrap.upstream.versions import (
    KUBERNETES_MODULE,
    KUBERNETES_VERSION,
    cache_root,
    normalise_version,
)
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.pins import release_pins

AGNHOST_MODULE = "kubeadm-verify.local/agnhostbuild"
_VERSION_TIMEOUT = 60


def nodeparts_dir(version: str) -> Path:
    return cache_root() / "nodeparts" / version


@dataclass(frozen=True)
class NodeParts:
    """Everything a node runs: our builds, the release's kubelet and kube-proxy, Debian's tools."""

    built: Path
    """containerd, containerd-shim-runc-v2, ctr, coredns, agnhost, pause."""
    binaries: Path
    """The release's bin dir: kubelet, kube-proxy, kubectl, kubeadm."""
    host: HostTools
    version: str
    sample_apiserver: Path | None = None
    """The sample API server (its own cache directory); None where no image needs it."""
    suite_binaries: Path | None = None
    """The pinned release's bin dir on another release's nodes: the suite's test images made of
    its programs (the aggregator spec's etcd) come from it. None on the pinned release's."""

    def part(self, name: str) -> Path:
        return self.built / name

    def binary(self, name: str) -> Path:
        return self.binaries / name


def _say(text: str) -> None:
    stderr.line(f"[nodeparts] {text}")


def expected_version_token(name: str, release: str = KUBERNETES_VERSION) -> str:
    """A word each program prints with its version flag, for ``release``'s node parts."""
    if name == "coredns":
        return f"CoreDNS-{release_pins(release).coredns_version.lstrip('v')}"
    if name == "agnhost":
        return AGNHOST_TAG
    if name == "pause":
        return PAUSE_VERSION
    return CONTAINERD_VERSION


def version_argv(name: str) -> list[str]:
    if name == "coredns":
        return ["-version"]
    if name == "containerd-shim-runc-v2":
        return ["-v"]
    return ["--version"]


def version_problem(name: str, output: str, release: str = KUBERNETES_VERSION) -> str | None:
    want = expected_version_token(name, release)
    if want in output.split():
        return None
    first = output.strip().splitlines()[0] if output.strip() else "nothing"
    return f"{name} reports {first!r}, expected {want!r}"


def check_versions(directory: Path, release: str = KUBERNETES_VERSION) -> None:
    """Run every part once: a wrong or crashing build never reaches the cache."""
    for name in BUILT:
        argv = [str(directory / name), *version_argv(name)]
        proc = run_once(argv, _VERSION_TIMEOUT, f"{name}: cannot run its version check")
        problem = version_problem(name, proc.stdout + proc.stderr, release)
        if problem is not None:
            raise BootstrapError(problem)


def _containerd_ldflags() -> str:
    package = f"{CONTAINERD_MODULE}/version"
    return (
        f"-s -w -X {package}.Version={CONTAINERD_VERSION} -X {package}.Package={CONTAINERD_MODULE}"
    )


def build_containerd(builder: GoBuild, out: Path) -> float:
    packages = [
        f"{CONTAINERD_MODULE}/cmd/{name}@{CONTAINERD_VERSION}" for name in CONTAINERD_COMMANDS
    ]
    argv = [
        builder.go,
        "install",
        "-trimpath",
        "-tags",
        CONTAINERD_TAGS,
        "-ldflags",
        _containerd_ldflags(),
        *packages,
    ]
    return builder.runner.run(
        f"go install containerd {CONTAINERD_VERSION}",
        argv,
        _workdir(builder),
        {"GOBIN": str(out.resolve())},
    )


def build_coredns(builder: GoBuild, out: Path) -> float:
    """The CoreDNS the builder's release's kubeadm deploys (its ``CoreDNSVersion``)."""
    coredns = release_pins(builder.version).coredns_version
    argv = [
        builder.go,
        "install",
        "-trimpath",
        "-ldflags",
        "-s -w",
        f"{COREDNS_MODULE}@{coredns}",
    ]
    return builder.runner.run(
        f"go install coredns {coredns}",
        argv,
        _workdir(builder),
        {"GOBIN": str(out.resolve())},
    )


def _workdir(builder: GoBuild) -> Path:
    builder.root.mkdir(parents=True, exist_ok=True)
    return builder.root


def _seeded(builder: GoBuild, name: str, files: dict[str, str]) -> Path:
    """A generated module dir, tidied once for the same seed files."""
    directory = builder.root / name
    if (
        all(
            (directory / f).is_file() and (directory / f).read_text() == text
            for f, text in files.items()
        )
        and (directory / "go.sum").exists()
    ):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "go.sum").unlink(missing_ok=True)
    for filename, text in files.items():
        (directory / filename).write_text(text)
    builder.runner.run(f"go mod tidy ({name})", [builder.go, "mod", "tidy"], directory)
    return directory


def build_agnhost(builder: GoBuild, out: Path) -> float:
    """agnhost from the pinned release's source, whatever the builder's release: its tag
    (``AGNHOST_TAG``) is that source's ``VERSION``, and the pinned tests ask for it."""
    upstream = builder.module_info(KUBERNETES_MODULE, KUBERNETES_VERSION).gomod
    files = {
        "go.mod": gomod.kubernetes_gomod(AGNHOST_MODULE, KUBERNETES_VERSION, upstream),
        "tools.go": gomod.tools_go([AGNHOST_PACKAGE]),
    }
    module = _seeded(builder, "agnhost", files)
    argv = [
        builder.go,
        "build",
        "-trimpath",
        "-ldflags",
        f"-s -w -X main.Version={AGNHOST_TAG}",
        "-o",
        str(out / "agnhost"),
        AGNHOST_PACKAGE,
    ]
    return builder.runner.run(f"go build agnhost {AGNHOST_TAG}", argv, module)


def build_pause(builder: GoBuild, out: Path) -> float:
    files = {"go.mod": f"module {PAUSE_MODULE}\n\ngo 1.22\n", "main.go": PAUSE_GO}
    module = _seeded(builder, "pause", files)
    argv = [
        builder.go,
        "build",
        "-trimpath",
        "-ldflags",
        f"-s -w -X main.version={PAUSE_VERSION}",
        "-o",
        str(out / "pause"),
        ".",
    ]
    return builder.runner.run(f"go build pause {PAUSE_VERSION}", argv, module)


def _produce(version: str, tmp: Path) -> tuple[str, dict[str, str]]:
    started = time.monotonic()
    builder = GoBuild.for_version(version)
    times = {
        "containerd": build_containerd(builder, tmp),
        "coredns": build_coredns(builder, tmp),
        "agnhost": build_agnhost(builder, tmp),
        "pause": build_pause(builder, tmp),
    }
    check_versions(tmp, version)
    spent = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in times.items())
    _say(f"node parts for {version} built in {time.monotonic() - started:.0f}s ({spent})")
    return "build", dict.fromkeys(BUILT, "build")


def ensure_node_parts(version: str | None = None, binaries: Path | None = None) -> NodeParts:
    """The node parts of ``version``, built at most once; the Debian tools checked first, so a
    machine that cannot run a node says so before minutes of building. ``binaries`` is a bin
    dir to use instead of the release's cached one (``ensure_binaries``)."""
    release = release_pins(normalise_version(version)).kubernetes_version
    host = find_host_tools()
    built = ensure_populated(nodeparts_dir(release), release, BUILT, partial(_produce, release))
    bins = binaries or ensure_binaries(release, source="auto")
    for name in ("kubelet", "kube-proxy"):
        if not (bins / name).is_file():
            raise BootstrapError(f"{bins} has no {name}: rebuild the binaries cache")
    sample = ensure_sample_apiserver(KUBERNETES_VERSION)  # the suite's, as agnhost
    suite = None if release == KUBERNETES_VERSION else ensure_binaries(KUBERNETES_VERSION)
    return NodeParts(
        built=built,
        binaries=bins,
        host=host,
        version=release,
        sample_apiserver=sample,
        suite_binaries=suite,
    )
