"""The list of kubeadm's defaults holds: every item is observed by tests that exist, and every test
written to observe a default is on the list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conformance.standard_base import kubeadm_defaults
from conformance.standard_base.kubeadm_defaults import DEFAULTS, SOURCE_ROOT, observing_tests
from conformance.standard_base.listing import collect_entries

MODULE_CACHE = Path("/root/go/pkg/mod") / SOURCE_ROOT
DEFAULTS_TESTS = Path(kubeadm_defaults.__file__).with_name("test_kubeadm_defaults.py")


@pytest.fixture(scope="module")
def suite_ids() -> set[str]:
    return {entry.spec.id for entry in collect_entries()}


def test_every_item_names_tests_that_exist(suite_ids: set[str]) -> None:
    assert all(item.tests for item in DEFAULTS), "an item no test observes"
    missing = {
        item.id: sorted(set(item.tests) - suite_ids)
        for item in DEFAULTS
        if set(item.tests) - suite_ids
    }
    assert not missing, f"items naming tests the suite does not have: {missing}"


def test_items_are_unique_and_cite_a_line() -> None:
    ids = [item.id for item in DEFAULTS]
    assert len(ids) == len(set(ids)), "two items share an id"
    malformed = [item.id for item in DEFAULTS if not re.fullmatch(r"[\w/]+\.go:\d+", item.source)]
    assert not malformed, f"sources not file.go:line: {malformed}"


def test_every_defaults_test_is_on_the_list() -> None:
    tree = ast.parse(DEFAULTS_TESTS.read_text())
    declared = {
        str(keyword.value.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "id" and isinstance(keyword.value, ast.Constant)
    }
    assert declared, "no test found in test_kubeadm_defaults.py"
    unlisted = declared - observing_tests()
    assert not unlisted, f"tests of kubeadm's defaults that no item names: {sorted(unlisted)}"


@pytest.mark.skipif(
    not MODULE_CACHE.is_dir(), reason="kubeadm v1.37.2 is not in the Go module cache here"
)
def test_every_cited_line_is_in_kubeadms_source() -> None:
    beyond = []
    for item in DEFAULTS:
        path, line = item.source.rsplit(":", 1)
        lines = (MODULE_CACHE / path).read_text().splitlines()
        if not 0 < int(line) <= len(lines):
            beyond.append(item.id)
    assert not beyond, f"items citing lines beyond their file: {beyond}"
