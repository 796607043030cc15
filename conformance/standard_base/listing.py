"""``kubeadm-verify cluster --list``: the tests, their areas, codenames and needs, no cluster.

The list is the core runner's collect-only session over the package, with the same settings
object a run gets (its focus and skip applied by the tier's conftest), so what is listed is
exactly what would run.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from conformance.standard_base.marker import Spec, spec_of
from kubeadm_verify.runner import collect as collect_items
from kubeadm_verify.settings import ClusterSettings

PACKAGE = "conformance.standard_base"
PLUGINS = ("bootstrap.fixtures", "conformance.standard_base.plugin", "pytest_timeout")
"""The tier's session: its own plugin, the cluster fixtures, per-test timeouts."""


@dataclass(frozen=True)
class Entry:
    """A collected test: its marker, and its docstring (what it establishes)."""

    spec: Spec
    doc: str


def collect(settings: ClusterSettings | None = None) -> list[Spec]:
    """The specs of the tests a run with ``settings`` would run, in run order."""
    return [entry.spec for entry in collect_entries(settings)]


def collect_entries(settings: ClusterSettings | None = None) -> list[Entry]:
    """The tests a run with ``settings`` would run, in run order, with their docstrings."""
    items = collect_items("cluster", PACKAGE, settings or ClusterSettings(), plugins=PLUGINS)
    entries = []
    for item in items:
        spec = spec_of(item)
        if spec is not None:
            function = getattr(item, "function", None)
            doc = inspect.getdoc(function) if function is not None else None
            entries.append(Entry(spec, doc or ""))
    return entries


__all__ = ["PACKAGE", "PLUGINS", "Entry", "collect", "collect_entries"]
