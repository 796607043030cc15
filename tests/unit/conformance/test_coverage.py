"""The coverage matrix holds: every v1.37 spec is covered or has one reason, and the gap is known.

The matrix is built from the pinned catalogue and the markers of the collected Standard Base (the
same collection ``--list`` makes), with the shipped ``left-to-e2e.yaml``. The recorded list of
classes without a native test must be the computed one: a new native test shrinks it (and the
record must be updated to match), a class losing its last test fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.e2e.codenames import CatalogueSpec, catalogue
from conformance.standard_base.coverage import (
    PINNED,
    Matrix,
    Reasons,
    build,
    load_reasons,
    matrix_of,
    parse_reasons,
)
from conformance.standard_base.listing import collect
from conformance.standard_base.marker import make_spec


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return matrix_of(collect())


@pytest.fixture(scope="module")
def reasons() -> Reasons:
    return load_reasons()


def test_every_spec_of_the_catalogue_is_in_the_matrix(matrix: Matrix) -> None:
    specs = catalogue(PINNED)
    assert len(matrix.rows) == len(specs) == 462
    assert {r.spec.codename for r in matrix.rows} == {s.codename for s in specs}
    assert len(matrix.classes) == len({s.file for s in specs})


def test_every_spec_is_covered_or_has_a_reason(matrix: Matrix) -> None:
    bare = [r.spec.codename for r in matrix.rows if not r.covered and not r.reason]
    assert not bare, f"specs neither covered nor left to e2e with a reason: {bare}"
    both = [r.spec.codename for r in matrix.rows if r.covered and r.reason]
    assert not both, f"covered specs with a reason: {both}"


def test_every_claimed_codename_is_in_the_catalogue(matrix: Matrix) -> None:
    assert matrix.unknown_codenames == ()


def test_no_reason_names_a_covered_spec_or_an_unknown_one(matrix: Matrix, reasons: Reasons) -> None:
    covered = {r.spec.codename for r in matrix.rows if r.covered}
    known = {r.spec.codename for r in matrix.rows}
    assert not set(reasons.specs) & covered, sorted(set(reasons.specs) & covered)
    assert set(reasons.specs) <= known, sorted(set(reasons.specs) - known)


def test_every_class_and_tag_reason_is_still_used(matrix: Matrix, reasons: Reasons) -> None:
    """A reason for a class whose specs are all covered (or a tag no uncovered spec carries) is
    stale: remove it, so the table says only what is true."""
    left = [r for r in matrix.rows if not r.covered]
    used_classes = {r.spec.file for r in left if r.reason == reasons.classes.get(r.spec.file)}
    stale = sorted(set(reasons.classes) - used_classes)
    assert not stale, f"class reasons no uncovered spec uses: {stale}"
    stale_tags = [t for t in reasons.tags if not any(r.reason == reasons.tags[t] for r in left)]
    assert not stale_tags, f"tag reasons no uncovered spec uses: {stale_tags}"


def test_every_reason_is_one_short_line(reasons: Reasons) -> None:
    for reason in [*reasons.specs.values(), *reasons.tags.values(), *reasons.classes.values()]:
        assert reason and "\n" not in reason and len(reason) <= 160, reason


def test_the_recorded_gap_is_the_computed_one(matrix: Matrix, reasons: Reasons) -> None:
    computed = set(matrix.without_native_test)
    recorded = set(reasons.without_native_test)
    assert not computed - recorded, (
        f"classes that lost their last native test: {sorted(computed - recorded)}"
    )
    assert not recorded - computed, (
        f"classes that now have a native test: remove them from classes-without-a-native-test "
        f"in left-to-e2e.yaml: {sorted(recorded - computed)}"
    )
    assert len(reasons.without_native_test) == len(recorded), "a class is recorded twice"


def test_every_class_says_whether_it_has_a_native_test(matrix: Matrix) -> None:
    for cls in matrix.classes:
        assert cls.native == bool(cls.tests) == (cls.covered > 0), cls.file
        assert cls.file.startswith("test/e2e/") and cls.name in cls.file


SPEC_A = "[sig-x] A does a [Conformance]"
SPEC_B = "[sig-x] B does b [Conformance] [Serial]"
SPEC_C = "[sig-x] C does c [Conformance]"
SPEC_D = "[sig-x] D does d [Conformance] [Slow] [Serial]"


def _catalogue() -> list[CatalogueSpec]:
    return [
        CatalogueSpec(SPEC_A, "A", "v1.1", "test/e2e/x/a.go"),
        CatalogueSpec(SPEC_B, "B", "v1.1", "test/e2e/x/a.go"),
        CatalogueSpec(SPEC_C, "C", "v1.1", "test/e2e/x/c.go"),
        CatalogueSpec(SPEC_D, "D", "v1.1", "test/e2e/x/c.go"),
    ]


def test_reasons_are_found_by_spec_then_tag_then_class() -> None:
    reasons = parse_reasons(f"""
specs: {{"{SPEC_C}": "its own"}}
tags: {{"[Slow]": "slow", "[Serial]": "serial"}}
classes: {{"test/e2e/x/c.go": "the class's"}}
classes-without-a-native-test: [test/e2e/x/c.go]
""")
    tested = make_spec("apps/a", [SPEC_A], (), 10)
    built = build(_catalogue(), [tested], reasons)
    by_name = {r.spec.testname: r for r in built.rows}
    assert by_name["A"].tests == ("apps/a",) and by_name["A"].reason is None
    assert by_name["B"].reason == "serial"
    assert by_name["C"].reason == "its own"
    assert by_name["D"].reason == "slow", "the first listed tag wins"
    assert built.covered == 1
    assert built.without_native_test == ("test/e2e/x/c.go",)
    assert [c.name for c in built.classes] == ["x/a", "x/c"]


def test_an_unknown_claimed_codename_is_reported() -> None:
    reasons = parse_reasons("classes: {}")
    stray = make_spec("apps/b", ["[sig-x] nowhere [Conformance]"], (), 10)
    built = build(_catalogue(), [stray], reasons)
    assert built.unknown_codenames == ("[sig-x] nowhere [Conformance]",)
    assert [r.spec.testname for r in built.rows if r.reason is None] == ["A", "B", "C", "D"]


def test_the_readme_states_the_counts(matrix: Matrix) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    native = len(matrix.classes) - len(matrix.without_native_test)
    assert f"cover {matrix.covered} of the {len(matrix.rows)} `[Conformance]` specs" in text, (
        "README.md states another number of covered specs than the matrix"
    )
    assert f"{native} of the {len(matrix.classes)} behaviour classes" in text, (
        "README.md states another number of classes with a native test than the matrix"
    )
