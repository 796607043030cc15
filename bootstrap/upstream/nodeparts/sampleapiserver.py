"""The sample API server (k8s.io/sample-apiserver), built once into its own cache directory.

Upstream's aggregator spec runs it in a pod behind an APIService; its image is not published
for us to pull, so it is built like CoreDNS, with ``go install module@version`` from the module
the release publishes beside itself (k8s.io/sample-apiserver v0.X.Y for Kubernetes v1.X.Y,
whose go.mod has no replace directives). Its directory is its own, not the node parts', so a
node-parts cache built before it stays valid: only this program is built when it is missing,
and with the Go build cache of the other builds that is well under a minute.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.gobuild import GoBuild
from bootstrap.upstream.runonce import run_once
from bootstrap.upstream.versions import cache_root, normalise_version
from kubeadm_verify import stderr
from kubeadm_verify.errors import BootstrapError

MODULE = "k8s.io/sample-apiserver"
PROGRAM = "sample-apiserver"
BANNER = "Launch a wardle API server"
"""What its ``--help`` starts with: it has no version flag, and this is the program it is."""
_CHECK_TIMEOUT = 60


def module_version(release: str) -> str:
    """The staging module's version for a Kubernetes release: v1.37.2 -> v0.37.2."""
    major, minor, patch = normalise_version(release).lstrip("v").split(".")[:3]
    if major != "1":
        raise BootstrapError(f"no k8s.io/sample-apiserver version is known for {release}")
    return f"v0.{minor}.{patch}"


def sample_apiserver_dir(release: str) -> Path:
    return cache_root() / "nodeparts" / f"{release}-{PROGRAM}"


def check(program: Path) -> None:
    """Run the build once: a crashing or foreign program never reaches the cache."""
    proc = run_once([str(program), "--help"], _CHECK_TIMEOUT, f"{PROGRAM}: cannot run it")
    if BANNER not in proc.stdout + proc.stderr:
        raise BootstrapError(f"{program} --help does not say {BANNER!r}: not the sample API server")


def _produce(release: str, tmp: Path) -> tuple[str, dict[str, str]]:
    builder = GoBuild.for_version(release)
    version = module_version(release)
    argv = [builder.go, "install", "-trimpath", "-ldflags", "-s -w", f"{MODULE}@{version}"]
    builder.root.mkdir(parents=True, exist_ok=True)
    seconds = builder.runner.run(
        f"go install {PROGRAM} {version}", argv, builder.root, {"GOBIN": str(tmp.resolve())}
    )
    check(tmp / PROGRAM)
    stderr.line(f"[nodeparts] {PROGRAM} {version} built in {seconds:.0f}s")
    return "build", {PROGRAM: "build"}


def ensure_sample_apiserver(version: str | None = None) -> Path:
    """The sample API server of ``version``'s release, built at most once."""
    release = normalise_version(version)
    built = ensure_populated(
        sample_apiserver_dir(release), release, [PROGRAM], partial(_produce, release)
    )
    return built / PROGRAM
