"""Bring the test package into a staging directory, byte for byte what its checksum promises.

Two sources: a mirror with dl.k8s.io's layout (``URL/release/vX.Y.Z/kubernetes-test-linux-<arch>
.tar.gz`` with sibling ``.sha256`` and, where published, ``.sha512``), or a tarball on disk for
air-gapped sites (checksum from ``--test-package-sha256`` or ``FILE.sha256``). Either way the
checksums are known before a byte of the package is read, the bytes are hashed as they are
written, and nothing is opened as an archive until every published digest matches. A local file
is copied rather than used in place, so the bytes we verify are the bytes we later extract.
The checksum-file parser and fetcher are the ones ``binaries --source download`` uses; they and
``requests`` are imported only when a package is actually fetched or checked.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubeadm_verify.errors import FetchError, InputError

if TYPE_CHECKING:
    import requests

    from bootstrap.upstream.deadline import Deadline

CHUNK = 1 << 16
ALGORITHMS = ("sha256", "sha512")
DOWNLOAD_DEADLINE_S = 1800.0
"""The whole download, checksums and response headers included, must end within this
(``--download-timeout``): the read timeout alone would let a mirror that trickles one byte every
few seconds hold a run forever."""

Advance = Callable[[int], None]
"""Told how many bytes just arrived; drives the progress bar."""
Start = Callable[[str, int | None], Advance]
"""Told what is being fetched and its size (if known); returns the per-chunk callback."""


@dataclass(frozen=True)
class PackageSource:
    """Where the test package of one release comes from."""

    version: str
    arch: str
    mirror: str | None = None
    local_file: Path | None = None
    local_sha256: str | None = None
    deadline_s: float = DOWNLOAD_DEADLINE_S

    @property
    def tarball_name(self) -> str:
        return f"kubernetes-test-linux-{self.arch}.tar.gz"

    @property
    def url(self) -> str:
        """The package's address on the mirror (only meaningful for a mirror source)."""
        return f"{(self.mirror or '').rstrip('/')}/release/{self.version}/{self.tarball_name}"

    def __post_init__(self) -> None:
        if self.local_file is not None and self.local_sha256 is None:
            raise ValueError("a local package needs its sha256 settled first (PackageSource.local)")

    def describe(self) -> str:
        return str(self.local_file) if self.local_file is not None else self.url

    @classmethod
    def local(cls, version: str, arch: str, path: Path, flag_sha256: str | None) -> PackageSource:
        """A ``--test-package`` source whose sha256 is settled before anything else happens."""
        sha256 = local_checksums(path, flag_sha256)["sha256"]
        return cls(version, arch, local_file=path.absolute(), local_sha256=sha256)


def fetch_package(source: PackageSource, dest: Path, start: Start) -> dict[str, str]:
    """Write the verified package to ``dest``; return the digests it was checked against."""
    if source.local_file is not None:
        return _copy_local(source.local_file, source.local_sha256, dest, start)
    return _download(source.url, dest, start, source.deadline_s)


def _download(
    url: str, dest: Path, start: Start, deadline_s: float = DOWNLOAD_DEADLINE_S
) -> dict[str, str]:
    """The package and its checksums under one deadline: connect, headers, checksums and body."""
    import requests  # here, not at the top: a warm run never downloads, and it is slow to import

    from bootstrap.upstream.deadline import Deadline

    name = url.rsplit("/", 1)[-1]
    with Deadline(deadline_s) as deadline, deadline.session() as session:
        published = _published(session, url, name, deadline)
        try:
            response = session.get(url, stream=True, timeout=deadline.timeouts(url))
        except requests.RequestException as exc:
            if deadline.expired:
                raise deadline.error(url) from None
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}") from exc
        with response:
            if response.status_code != 200:
                raise FetchError(f"{url}: HTTP {response.status_code}")
            length = response.headers.get("Content-Length")
            size = int(length) if length is not None and length.isdigit() else None
            advance, arrived = _counting(start(name, size))
            try:
                chunks = _until(deadline, url, response.raw)
                got, received = write_hashed(chunks, dest, advance)
            except (requests.RequestException, urllib3_errors()) as exc:
                if deadline.expired:
                    raise deadline.error(url) from None
                expected = f" of {size}" if size is not None else ""
                raise FetchError(
                    f"{url}: the download broke off after {arrived()}{expected} bytes"
                ) from exc
        deadline.check(url)
    if size is not None and received != size:
        raise FetchError(f"{url}: truncated, {received} of {size} bytes")
    compare(url, published, got)
    return published


def _until(deadline: Deadline, url: str, raw: Any) -> Iterator[bytes]:
    """The body as it arrives (whatever each read brings, not a full chunk), ending in a
    ``FetchError`` once the deadline has passed (a read blocked then is woken by it)."""
    while True:
        deadline.check(url)
        chunk = raw.read1(CHUNK, decode_content=True)
        if not chunk:
            return
        yield chunk


def urllib3_errors() -> type[Exception]:
    """urllib3's base error: what a broken stream raises when read below ``requests``."""
    from urllib3.exceptions import HTTPError

    return HTTPError


def _published(
    session: requests.Session, url: str, name: str, deadline: Deadline
) -> dict[str, str]:
    """The package's published digests, fetched before the package: no sha256, no download."""
    from bootstrap.upstream.download import fetch_checksum

    published = {}
    for algorithm in ALGORITHMS:
        digest = fetch_checksum(session, f"{url}.{algorithm}", algorithm, name, deadline)
        if digest is None and algorithm == "sha256":
            raise FetchError(f"{url}.sha256: not found; refusing {name} without a checksum")
        if digest is not None:
            published[algorithm] = digest
    return published


def _counting(advance: Advance) -> tuple[Advance, Callable[[], int]]:
    """Wrap a progress callback so the bytes seen so far can be told when a stream breaks."""
    seen = [0]

    def counted(n: int) -> None:
        seen[0] += n
        advance(n)

    return counted, lambda: seen[0]


def _copy_local(path: Path, flag_sha256: str | None, dest: Path, start: Start) -> dict[str, str]:
    published = local_checksums(path, flag_sha256)
    try:
        with path.open("rb") as handle:
            chunks = iter(lambda: handle.read(CHUNK), b"")
            got, _ = write_hashed(chunks, dest, start(path.name, path.stat().st_size))
    except OSError as exc:
        raise InputError(f"cannot read the test package {path}: {exc.strerror or exc}") from exc
    compare(str(path), published, got)
    return published


def local_checksums(path: Path, flag_sha256: str | None) -> dict[str, str]:
    """The digests a local package must match: the flag's, else ``FILE.sha256``; and ``.sha512``.

    Without a sha256 from either place the run refuses: an unverified package is never used.
    """
    from bootstrap.upstream.download import parse_checksum  # it brings requests; see _download

    if not path.exists():
        raise InputError(f"--test-package {path}: no such file")
    if not path.is_file():
        raise InputError(f"--test-package {path}: not a regular file")
    published: dict[str, str] = {}
    for algorithm in ALGORITHMS:
        sibling = path.with_name(f"{path.name}.{algorithm}")
        if sibling.is_file():
            text = _small_text(sibling)
            published[algorithm] = parse_checksum(text, algorithm, path.name)
    if flag_sha256 is not None:
        if "sha256" in published and published["sha256"] != flag_sha256:
            raise FetchError(f"--test-package-sha256 disagrees with {path.name}.sha256")
        published["sha256"] = flag_sha256
    if "sha256" not in published:
        raise InputError(
            f"--test-package {path}: no checksum; give --test-package-sha256 HEX "
            f"or put the digest in {path.name}.sha256"
        )
    return published


def _small_text(path: Path) -> str:
    """A checksum file beside a local package: read up to 64 KiB, not whole."""
    from bootstrap.upstream.download import MAX_CHECKSUM_BYTES

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CHECKSUM_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_CHECKSUM_BYTES:
        raise InputError(
            f"{path}: larger than {MAX_CHECKSUM_BYTES // 1024} KiB, not a checksum file"
        )
    return data.decode("utf-8", "replace")


def write_hashed(
    chunks: Iterable[bytes], dest: Path, advance: Advance
) -> tuple[dict[str, str], int]:
    """Stream ``chunks`` into a new file (mode 0600), hashing as they pass; digests and size."""
    hashes = {algorithm: hashlib.new(algorithm) for algorithm in ALGORITHMS}
    received = 0
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                received += len(chunk)
                for digest in hashes.values():
                    digest.update(chunk)
                advance(len(chunk))
    except OSError as exc:
        raise disk_error(exc, f"writing {dest.name}") from exc
    return {algorithm: digest.hexdigest() for algorithm, digest in hashes.items()}, received


def compare(what: str, published: dict[str, str], got: dict[str, str]) -> None:
    """Every published digest must match, compared in constant time."""
    for algorithm, want in published.items():
        if not hmac.compare_digest(want, got[algorithm]):
            mismatch = f"published {want}, got {got[algorithm]}"
            raise FetchError(f"{what}: {algorithm} mismatch ({mismatch})")


def disk_error(exc: OSError, doing: str) -> FetchError:
    """A local write that failed (a full disk, above all), as one line naming the folder."""
    if exc.errno == errno.ENOSPC:
        where = os.path.dirname(str(exc.filename)) if exc.filename else "the e2e cache"
        return FetchError(
            f"no space left on the device while {doing} (in {where}); free some "
            "space or point XDG_CACHE_HOME elsewhere"
        )
    return FetchError(f"cannot write while {doing}: {(exc.strerror or str(exc)).lower()}")
