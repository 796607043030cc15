"""The ``standard_base`` marker: what a Standard Base test is (id, codenames, needs, timeout).

A test declares itself once, at import time, with :func:`standard_base`; the declaration is
checked there (an unknown area or need, a missing timeout, a malformed id fail the collection, not
the run), and the tier's conftest reads it back with :func:`spec_of` to record the report
properties, apply the timeout and skip the test when the cluster cannot meet its needs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

MARKER = "standard_base"
Record = Callable[[str, object], None]
"""pytest's ``record_property``: how a test leaves a warning (``WARNING_PROPERTY``) in its
report."""

AREAS = (
    "api-machinery",
    "auth",
    "kubeadm",
    "apps",
    "scheduling",
    "network",
    "node",
    "storage",
)

MAX_TIMEOUT_S = 300
_ID = re.compile(r"^(?P<area>[a-z-]+)/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_RELEASE = re.compile(r"^(?P<major>[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)$")


class Need(enum.StrEnum):
    """What a test needs from the cluster; a need the cluster cannot meet skips the test."""

    NODES = "nodes"
    REAL_KUBELET = "real-kubelet"
    DNS = "dns"
    CLUSTER_ADMIN = "cluster-admin"


class SpecError(ValueError):
    """A ``standard_base`` declaration that does not describe a valid test."""


@dataclass(frozen=True)
class Spec:
    """One Standard Base test, as its marker declares it."""

    id: str
    conformance: tuple[str, ...]
    needs: frozenset[Need]
    timeout: float
    since: tuple[int, int] | None = None
    """The release (major, minor) that first serves what the test asks for: an older API
    server is another kind of cluster, whose own release's conformance set has no such test."""

    @property
    def area(self) -> str:
        return self.id.split("/", 1)[0]


def make_spec(
    id: str,
    conformance: Iterable[str] = (),
    needs: Iterable[str | Need] = (),
    timeout: float | None = None,
    since: str | None = None,
) -> Spec:
    """A checked :class:`Spec`; raise :class:`SpecError` naming what is wrong."""
    match = _ID.match(id)
    if match is None:
        raise SpecError(f"test id {id!r} is not 'area/name' in lowercase words joined by '-'")
    if match.group("area") not in AREAS:
        raise SpecError(f"test id {id!r}: unknown area (known: {', '.join(AREAS)})")
    if isinstance(conformance, str):
        raise SpecError(f"{id}: conformance must be a list of codenames, not one string")
    codenames = tuple(conformance)
    if any(not isinstance(c, str) or "[Conformance]" not in c for c in codenames):
        raise SpecError(f"{id}: every conformance codename carries the [Conformance] tag")
    try:
        wanted = frozenset(Need(n) for n in needs)
    except ValueError as exc:
        raise SpecError(f"{id}: {exc} (known needs: {', '.join(Need)})") from exc
    if timeout is None or not 0 < timeout <= MAX_TIMEOUT_S:
        raise SpecError(f"{id}: a bounded timeout in (0, {MAX_TIMEOUT_S}] seconds is required")
    release = None
    if since is not None:
        found = _RELEASE.match(since)
        if found is None:
            raise SpecError(f"{id}: since {since!r} is not a release such as '1.37'")
        release = (int(found.group("major")), int(found.group("minor")))
    return Spec(id=id, conformance=codenames, needs=wanted, timeout=float(timeout), since=release)


def standard_base(
    *,
    id: str,
    conformance: Sequence[str] = (),
    needs: Sequence[str] = (),
    timeout: float,
    since: str | None = None,
) -> pytest.MarkDecorator:
    """Declare a Standard Base test: ``@standard_base(id="area/name", ..., timeout=30)``, and
    ``since="1.37"`` for one that asks for what that release first serves."""
    spec = make_spec(id, conformance, needs, timeout, since)  # fail at import, not at run time
    extra = {"since": since} if since is not None else {}
    return pytest.mark.standard_base(
        id=spec.id,
        conformance=list(spec.conformance),
        needs=sorted(spec.needs),
        timeout=timeout,
        **extra,
    )


def spec_of(item: pytest.Item) -> Spec | None:
    """The spec a collected test declares, or None when it carries no marker."""
    mark = item.get_closest_marker(MARKER)
    if mark is None:
        return None
    if mark.args:
        raise SpecError(f"{item.nodeid}: {MARKER} takes keyword arguments only")
    kwargs: dict[str, Any] = dict(mark.kwargs)
    return make_spec(**kwargs)
