"""The API server's release, read once from ``/version``, against the release a test's
behaviour first appears in (``@standard_base(since=...)``).

A cluster at an older release is another kind of cluster, not a broken one: its own release's
conformance set has no such test, so the test is skipped, saying both releases. A ``/version``
that names no release is no reason to skip: it fails the test that asked."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"^(0|[1-9][0-9]*)\+?$")
"""``/version``'s major and minor: digits, a provider's build marking the minor with ``+``."""


@dataclass(frozen=True)
class ServerRelease:
    major: int
    minor: int
    git_version: str


def server_release(major: str, minor: str, git_version: str) -> ServerRelease:
    """``/version``'s fields as a release; ``ValueError`` naming them when they name none."""
    found = [_NUMBER.match(part) for part in (major, minor)]
    if found[0] is None or found[1] is None:
        raise ValueError(
            f"/version names no release: major {major!r}, minor {minor!r} ({git_version})"
        )
    return ServerRelease(int(found[0].group(1)), int(found[1].group(1)), git_version)


def older_than(release: ServerRelease, since: tuple[int, int]) -> str | None:
    """Why a test of a release-``since`` behaviour does not apply to ``release``, or None."""
    if (release.major, release.minor) >= since:
        return None
    wanted = f"v{since[0]}.{since[1]}"
    return (
        f"the API server runs {release.git_version}: this behaviour is served from {wanted} on, "
        f"and the v{release.major}.{release.minor} conformance set has no such test"
    )
