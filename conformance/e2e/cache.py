"""The per-version cache of ``e2e.test`` and ``ginkgo``: complete and verified, or absent.

Entries live under ``$XDG_CACHE_HOME/kubeadm-verify/e2e/<version>/``: ``linux-<arch>`` for the
package from a mirror, ``local-<sha256 prefix>`` for a ``--test-package`` (so a locally built
package never passes for the published one). The machinery is the binaries cache's
(``bootstrap.upstream.cache``): a manifest with each file's size and sha256, written last; a staging
directory beside the entry, renamed into place under an ``fcntl`` lock, so concurrent runs fetch
once and a failed fetch leaves nothing behind. The tarball itself is deleted once the two
binaries are out: it is hundreds of megabytes and its digest is kept in the manifest's source.

A complete entry is used without touching the network: the package was verified against its
published checksum when the entry was made, and the manifest re-verifies the binaries each use.
The entry also keeps ``specs.txt``, this ``e2e.test``'s ``--list-tests`` taken when the entry was
made: running the binary once before publishing proves it runs here, and later runs read the list
(about a second of e2e.test start-up saved each time) instead of asking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from bootstrap.upstream.cache import ensure_populated
from bootstrap.upstream.versions import cache_root
from conformance.e2e.archive import extract_binaries
from conformance.e2e.fetch import Advance, PackageSource, fetch_package
from conformance.e2e.listing import list_tests

REQUIRED = ("e2e.test", "ginkgo", "specs.txt")


@dataclass(frozen=True)
class Binaries:
    """The two executables of one release, verified in their cache entry."""

    e2e_test: Path
    ginkgo: Path

    @property
    def specs_file(self) -> Path:
        return self.e2e_test.with_name("specs.txt")

    def listing(self) -> tuple[str, ...]:
        """The spec names of this ``e2e.test``, as its ``--list-tests`` gave them."""
        return tuple(self.specs_file.read_text(encoding="utf-8").splitlines())


def entry_dir(source: PackageSource) -> Path:
    """Where the binaries of ``source`` are cached."""
    folder = cache_root() / "e2e" / source.version
    if source.local_file is not None:
        return folder / f"local-{str(source.local_sha256)[:16]}"
    return folder / f"linux-{source.arch}"


def ensure_binaries(source: PackageSource, console: Console) -> Binaries:
    """The cached binaries of ``source``, fetched, verified and extracted first if need be."""

    def produce(staging: Path) -> tuple[str, dict[str, str]]:
        tarball = staging / f".{source.tarball_name}"
        digests = _fetch_with_bar(source, tarball, console)
        members = extract_binaries(tarball, staging)
        tarball.unlink()
        specs = list_tests(staging / "e2e.test")
        (staging / "specs.txt").write_text("".join(f"{spec}\n" for spec in specs), encoding="utf-8")
        origin = f"{source.describe()} (sha256 {digests['sha256']})"
        origins = {name: f"{origin}#{member}" for name, member in members.items()}
        return origin, {**origins, "specs.txt": "e2e.test --list-tests"}

    folder = ensure_populated(entry_dir(source), source.version, REQUIRED, produce)
    return Binaries(folder / "e2e.test", folder / "ginkgo")


def _fetch_with_bar(source: PackageSource, tarball: Path, console: Console) -> dict[str, str]:
    """Fetch the package, drawing a download bar when there is a terminal to draw it on."""
    if not console.is_terminal:  # nothing to animate: no bar, no stray blank line
        return fetch_package(source, tarball, lambda name, size: lambda n: None)
    with _download_bar(console) as progress:

        def start(name: str, size: int | None) -> Advance:
            task = progress.add_task(name, total=size)
            return lambda n: progress.advance(task, n)

        return fetch_package(source, tarball, start)


def _download_bar(console: Console) -> Progress:
    """A transient download bar on the (terminal) console, gone once the package is in."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
