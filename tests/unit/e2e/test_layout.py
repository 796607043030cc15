"""The output layout: a clean report dir per run and a CNCF-shaped copy of the evidence."""

from __future__ import annotations

from pathlib import Path

import yaml

from conformance.e2e.layout import keep_for_submission, prepare


def test_prepare_clears_what_a_previous_run_left(tmp_path: Path) -> None:
    first = prepare(tmp_path, "v1.37.2")
    first.junit.write_text("<stale/>")
    (first.artifacts / "junit_other01.xml").write_text("<stale/>")
    first.log.write_text("old log")
    (first.artifacts / "images.json").write_text("{}")
    second = prepare(tmp_path, "v1.37.2")
    assert sorted(p.name for p in second.artifacts.iterdir()) == ["images.json"]
    assert second.submission == tmp_path / "e2e" / "v1.37" / "kubeadm"


def test_submission_folder_has_the_evidence_and_keeps_an_edited_product_file(
    tmp_path: Path,
) -> None:
    layout = prepare(tmp_path, "v1.37.2")
    layout.log.write_text("Ran 1 of 1 Specs")
    layout.junit.write_text("<testsuites/>")
    keep_for_submission(layout, "v1.37.2", "certified", ["ginkgo", "--focus=a b"])
    names = sorted(p.name for p in layout.submission.iterdir())
    assert names == ["PRODUCT.yaml", "README.md", "e2e.log", "junit_01.xml"]
    product = yaml.safe_load((layout.submission / "PRODUCT.yaml").read_text())
    assert {
        "vendor",
        "name",
        "version",
        "website_url",
        "documentation_url",
        "type",
        "description",
    } <= set(product)
    assert "'--focus=a b'" in (layout.submission / "README.md").read_text()
    (layout.submission / "PRODUCT.yaml").write_text("vendor: Me\n")
    layout.junit.unlink()
    keep_for_submission(layout, "v1.37.2", "quick", ["ginkgo"])
    assert (layout.submission / "PRODUCT.yaml").read_text() == "vendor: Me\n"
    assert not (layout.submission / "junit_01.xml").exists()
    assert "does NOT qualify" in (layout.submission / "README.md").read_text()
