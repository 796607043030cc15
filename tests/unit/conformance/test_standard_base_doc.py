"""STANDARD_BASE.md says what the code checks: it is the rendering of the tests' own markers.

An operator cites the document; if a test's id, needs, timeout, codenames or docstring changed
and the document did not, the citation would be wrong. So the committed file must be exactly
what the generator renders from a collection of the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.standard_base.document import (
    AREA_MINIMUMS,
    NEED_MEANINGS,
    REGENERATE,
    main,
    render,
)
from conformance.standard_base.listing import Entry, collect_entries
from conformance.standard_base.marker import AREAS, Need, make_spec

DOCUMENT = Path(__file__).resolve().parents[3] / "STANDARD_BASE.md"


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return collect_entries()


def test_the_document_is_the_rendering_of_the_code(entries: list[Entry]) -> None:
    assert DOCUMENT.is_file(), f"{DOCUMENT.name} is missing: regenerate it with `{REGENERATE}`"
    assert DOCUMENT.read_text(encoding="utf-8") == render(entries), (
        f"{DOCUMENT.name} and the tests' markers disagree: regenerate it with `{REGENERATE}` "
        "(run from the repository root) and commit it"
    )


def test_every_test_says_what_it_establishes(entries: list[Entry]) -> None:
    bare = [e.spec.id for e in entries if len(e.doc.split()) < 5]
    assert not bare, f"tests without a docstring saying what they establish: {bare}"


def test_every_area_and_need_is_explained() -> None:
    assert set(AREA_MINIMUMS) == set(AREAS), "an area without its minimum and why"
    assert set(NEED_MEANINGS) == set(Need), "a need without its meaning"


def test_a_test_appears_with_its_id_needs_timeout_and_codenames() -> None:
    codename = "[sig-x] one [Conformance]"
    spec = make_spec("storage/pipe-in-name", [codename], ["real-kubelet", "dns"], 42)
    text = render([Entry(spec, "Reads a | b\nacross lines.")])
    row = next(line for line in text.splitlines() if line.startswith("| `storage/pipe-in-name`"))
    assert row == (
        "| `storage/pipe-in-name` | Reads a \\| b across lines. | `dns`, `real-kubelet` "
        f"| 42 s | `{codename}` |"
    )
    assert "| [storage](#storage) | 1 | 1 | 1 |" in text


def test_the_command_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "STANDARD_BASE.md"
    assert main(["--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("# The Kubernetes Standard Base\n")
