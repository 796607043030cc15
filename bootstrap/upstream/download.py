"""Release binaries from dl.k8s.io (or a mirror with its layout), verified before use.

A file is written with mode 0600 while it streams, hashed as it arrives, compared with the
published ``.sha256`` (and ``.sha512`` where the mirror has one) and only then renamed into place
and made executable. Anything short of a full match removes the partial file and raises
``FetchError``; ``MirrorUnreachable`` is the one failure that ``--source auto`` may recover from
by building instead, because it says nothing about the integrity of what the mirror serves.

Each file is fetched under one ``Deadline`` (``deadline.py``): its checksums, the response
headers and the body together, however slowly a mirror trickles them; a checksum file is read
up to ``MAX_CHECKSUM_BYTES``, never whole.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from pathlib import Path

import requests

from bootstrap.upstream.deadline import Deadline
from kubeadm_verify.errors import FetchError

CHUNK = 1 << 20
DOWNLOAD_DEADLINE_S = 1800.0
"""Each release binary, checksums included, within this; a mirror that trickles ends here."""
MAX_CHECKSUM_BYTES = 64 * 1024
"""A published checksum file is one line per file of a release: a few kilobytes at most."""
_DIGEST_LENGTH = {"sha256": 64, "sha512": 128}


class MirrorUnreachable(FetchError):
    """No connection to the mirror at all (DNS, refused, connect timeout)."""


def release_url(mirror: str, version: str, arch: str, name: str) -> str:
    """``URL/release/vX.Y.Z/bin/linux/<arch>/<name>``, the layout dl.k8s.io publishes."""
    return f"{mirror.rstrip('/')}/release/{version}/bin/linux/{arch}/{name}"


def parse_checksum(text: str, algorithm: str, name: str) -> str:
    """The digest in a published checksum file: a bare ``<hex>`` or ``<hex>  <name>`` lines.

    Only lowercase hex of the algorithm's exact length is accepted, as the spec requires: a file
    that is anything else is not a checksum we can trust, so it is an error, not a guess.
    """
    length = _DIGEST_LENGTH[algorithm]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise FetchError(f"the {algorithm} file for {name} is empty")
    pattern = re.compile(rf"^([0-9a-f]{{{length}}})(?:\s+\*?(\S+))?$")
    bare = len(lines) == 1
    for line in lines:
        match = pattern.match(line)
        if match is None:
            shown = line[:80]
            raise FetchError(
                f"the {algorithm} file for {name} is not {length} lowercase hex digits: {shown!r}"
            )
        listed = match.group(2)
        if (listed is None and bare) or (listed is not None and Path(listed).name == name):
            return match.group(1)
    raise FetchError(f"the {algorithm} file for {name} does not list {name}")


def _get(
    session: requests.Session, url: str, deadline: Deadline, *, stream: bool
) -> requests.Response:
    """GET within the deadline; a failure to connect at all becomes ``MirrorUnreachable``."""
    try:
        return session.get(url, stream=stream, timeout=deadline.timeouts(url))
    except (requests.ConnectionError, requests.Timeout) as exc:
        if deadline.expired:
            raise deadline.error(url) from None
        raise MirrorUnreachable(f"cannot reach {url}: {type(exc).__name__}") from exc
    except requests.RequestException as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from exc


def fetch_checksum(
    session: requests.Session, url: str, algorithm: str, name: str, deadline: Deadline
) -> str | None:
    """The published digest at ``url``, or None if the mirror has no such file (404)."""
    response = _get(session, url, deadline, stream=True)
    with response:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise FetchError(f"{url}: HTTP {response.status_code}")
        body = bytearray()
        try:
            for chunk in response.iter_content(4096):
                deadline.check(url)
                body += chunk
                if len(body) > MAX_CHECKSUM_BYTES:
                    raise FetchError(
                        f"{url}: larger than {MAX_CHECKSUM_BYTES // 1024} KiB, not a checksum file"
                    )
        except requests.RequestException as exc:
            if deadline.expired:
                raise deadline.error(url) from None
            raise FetchError(f"{url}: the checksum broke off after {len(body)} bytes") from exc
        deadline.check(url)
        return parse_checksum(body.decode("utf-8", "replace"), algorithm, name)


def _stream_to(
    response: requests.Response, url: str, part: Path, deadline: Deadline
) -> dict[str, str]:
    """Write the body to ``part`` (mode 0600), returning its sha256 and sha512 hex digests."""
    hashes = {"sha256": hashlib.sha256(), "sha512": hashlib.sha512()}
    received = 0
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        try:
            for chunk in response.iter_content(CHUNK):
                deadline.check(url)
                out.write(chunk)
                received += len(chunk)
                for digest in hashes.values():
                    digest.update(chunk)
        except requests.RequestException as exc:
            if deadline.expired:
                raise deadline.error(url) from None
            raise FetchError(f"{url}: download broke off after {received} bytes") from exc
    deadline.check(url)
    expected = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    if not encoded and expected is not None and expected.isdigit() and int(expected) != received:
        raise FetchError(f"{url}: truncated, {received} of {expected} bytes")
    return {algorithm: digest.hexdigest() for algorithm, digest in hashes.items()}


def fetch_verified(session: requests.Session, url: str, dest: Path, deadline: Deadline) -> Path:
    """Download ``url`` to ``dest`` and make it executable only after its checksums match;
    ``session`` is ``deadline.session()``, so the deadline holds inside every read."""
    name = dest.name
    want256 = fetch_checksum(session, f"{url}.sha256", "sha256", name, deadline)
    if want256 is None:
        raise FetchError(f"{url}.sha256: not found; refusing {name} without a published checksum")
    want512 = fetch_checksum(session, f"{url}.sha512", "sha512", name, deadline)
    part = dest.with_name(f".{name}.part")
    try:
        response = _get(session, url, deadline, stream=True)
        with response:
            if response.status_code != 200:
                raise FetchError(f"{url}: HTTP {response.status_code}")
            got = _stream_to(response, url, part, deadline)
        _compare(url, "sha256", want256, got["sha256"])
        if want512 is not None:
            _compare(url, "sha512", want512, got["sha512"])
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    dest.chmod(0o755)
    return dest


def _compare(url: str, algorithm: str, want: str, got: str) -> None:
    if not hmac.compare_digest(want, got):
        raise FetchError(f"{url}: {algorithm} mismatch (published {want}, received {got})")


def download_release(
    mirror: str,
    version: str,
    arch: str,
    names: Sequence[str],
    dest_dir: Path,
    deadline_s: float = DOWNLOAD_DEADLINE_S,
) -> None:
    """Fetch each named release binary of ``version`` into ``dest_dir``, verified, each within
    ``deadline_s``."""
    for name in names:
        with Deadline(deadline_s) as deadline, deadline.session() as session:
            fetch_verified(
                session, release_url(mirror, version, arch, name), dest_dir / name, deadline
            )
