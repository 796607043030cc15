"""The coverage matrix: every ``[Conformance]`` spec of the pinned release, covered or left to e2e.

A spec is *covered* when a Standard Base test names its codename in its ``standard_base`` marker;
otherwise it is *left to e2e* with exactly one one-line reason, read from ``left-to-e2e.yaml``
beside this module. Specs are grouped into behaviour classes, one per upstream e2e source file
(``test/e2e/apimachinery/webhook.go``): a class has a native test when at least one of its specs
is covered. The classes without one are the Standard Base's honest gap; the data file records
them, and a unit test holds the recorded list to the code so it can only shrink knowingly.

A reason is found, first match wins, in: the spec's own entry (``specs``), the first upstream tag
of its codename that has an entry (``tags``: ``[Disruptive]``, ``[Serial]``, ``[Slow]``), and its
class's entry (``classes``). So each uncovered spec has exactly one reason, and a reason written
for a spec that a test later covers is reported as stale by the unit test.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from conformance.e2e.codenames import CatalogueSpec, catalogue, normalise
from conformance.standard_base.marker import Spec
from kubeadm_verify import yamlread

PINNED = "v1.37.2"
REASONS_FILE = "left-to-e2e.yaml"


@dataclass(frozen=True)
class Reasons:
    """Why specs are left to the e2e tier: per spec, per upstream tag, per class (in that order)."""

    specs: dict[str, str]
    tags: dict[str, str]
    classes: dict[str, str]
    without_native_test: tuple[str, ...]
    """The recorded gap: the classes no Standard Base test covers any spec of."""

    def reason_for(self, spec: CatalogueSpec) -> str | None:
        if spec.codename in self.specs:
            return self.specs[spec.codename]
        for tag, reason in self.tags.items():
            if tag in spec.codename:
                return reason
        return self.classes.get(spec.file)


def parse_reasons(text: str) -> Reasons:
    """The reasons table from the text of ``left-to-e2e.yaml``."""
    data: dict[str, Any] = yamlread.load(text)
    return Reasons(
        specs={normalise(k): _line(v) for k, v in (data.get("specs") or {}).items()},
        tags={k: _line(v) for k, v in (data.get("tags") or {}).items()},
        classes={k: _line(v) for k, v in (data.get("classes") or {}).items()},
        without_native_test=tuple(data.get("classes-without-a-native-test") or ()),
    )


def _line(reason: str) -> str:
    return " ".join(str(reason).split())


def load_reasons() -> Reasons:
    """The reasons shipped with the Standard Base."""
    text = resources.files("conformance.standard_base").joinpath(REASONS_FILE)
    return parse_reasons(text.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Row:
    """One spec: the tests that cover it, or the reason it is left to e2e (None: no reason yet)."""

    spec: CatalogueSpec
    tests: tuple[str, ...]
    reason: str | None

    @property
    def covered(self) -> bool:
        return bool(self.tests)


@dataclass(frozen=True)
class BehaviourClass:
    """The specs of one upstream e2e source file."""

    file: str
    rows: tuple[Row, ...]

    @property
    def covered(self) -> int:
        return sum(row.covered for row in self.rows)

    @property
    def native(self) -> bool:
        """Whether any Standard Base test covers a spec of this class."""
        return self.covered > 0

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for row in self.rows for t in row.tests))

    @property
    def name(self) -> str:
        """The file without ``test/e2e/`` and ``.go``: ``apimachinery/webhook``."""
        return self.file.removeprefix("test/e2e/").removesuffix(".go")


@dataclass(frozen=True)
class Matrix:
    classes: tuple[BehaviourClass, ...]
    unknown_codenames: tuple[str, ...]
    """Codenames the tests claim that the catalogue does not hold."""

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for cls in self.classes for row in cls.rows)

    @property
    def covered(self) -> int:
        return sum(row.covered for row in self.rows)

    @property
    def without_native_test(self) -> tuple[str, ...]:
        return tuple(cls.file for cls in self.classes if not cls.native)


def build(catalogued: Iterable[CatalogueSpec], specs: Sequence[Spec], reasons: Reasons) -> Matrix:
    """The matrix of ``catalogued`` specs against the tests' ``specs``, classes sorted by file."""
    owners: dict[str, list[str]] = {}
    for spec in specs:
        for codename in spec.conformance:
            owners.setdefault(normalise(codename), []).append(spec.id)
    by_file: dict[str, list[Row]] = {}
    known: set[str] = set()
    for entry in catalogued:
        known.add(entry.codename)
        tests = tuple(owners.get(entry.codename, ()))
        reason = None if tests else reasons.reason_for(entry)
        by_file.setdefault(entry.file, []).append(Row(entry, tests, reason))
    classes = tuple(
        BehaviourClass(f, tuple(sorted(rows, key=lambda r: r.spec.codename)))
        for f, rows in sorted(by_file.items())
    )
    return Matrix(classes, tuple(sorted(set(owners) - known)))


def matrix_of(specs: Sequence[Spec]) -> Matrix:
    """The matrix of the pinned release's catalogue against ``specs``, with the shipped reasons."""
    return build(catalogue(PINNED), specs, load_reasons())


__all__ = [
    "PINNED",
    "BehaviourClass",
    "Matrix",
    "Reasons",
    "Row",
    "build",
    "load_reasons",
    "matrix_of",
    "parse_reasons",
]
