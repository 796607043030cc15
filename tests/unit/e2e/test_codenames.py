"""Conformance codenames: the shipped v1.37 list, the mapping, and the fallback on the tag."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.e2e.codenames import catalogue, extract, load, main, normalise

UPSTREAM = Path.home() / "go/pkg/mod/k8s.io/kubernetes@v1.37.2/test/conformance/testdata"
POD = "[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]"


def test_v137_list_is_shipped_and_maps_spec_names() -> None:
    known = load("v1.37.2")
    assert known.release == "v1.37"
    assert len(known.codenames) == 462
    assert known.codenames_for(POD) == (POD,)
    assert known.codenames_for(
        "[sig-node]  Pods should be submitted and removed\n[Conformance] [NodeConformance]"
    ) == (POD,)
    assert known.codenames_for("[sig-storage] CSI Volumes do things") == ()
    assert known.codenames_for("[sig-x] not listed but tagged [Conformance]") == ()


def test_the_catalogue_names_each_spec_s_upstream_file() -> None:
    specs = catalogue("v1.37.2")
    assert len(specs) == 462
    assert {s.codename for s in specs} == load("v1.37.2").codenames
    pod = next(s for s in specs if s.codename == POD)
    assert pod.file == "test/e2e/common/node/pods.go"
    assert all(s.file.startswith("test/e2e/") and s.file.endswith(".go") for s in specs)
    assert len({s.file for s in specs}) == 100
    assert catalogue("v1.99.0") == ()


def test_release_without_a_list_falls_back_on_the_tag() -> None:
    unknown = load("v1.99.0")
    assert unknown.release is None
    tagged = "[sig-x] tagged [Conformance]"
    assert unknown.codenames_for(tagged) == (tagged,)
    assert unknown.codenames_for("[sig-x] untagged") == ()


def test_extract_folds_yaml_lines_and_drops_descriptions() -> None:
    upstream = """\
- testname: Pod Lifecycle, submit and remove
  codename: '[sig-node] Pods should be submitted and removed [Conformance]
    [NodeConformance]'
  description: A long text.
  release: v1.9
  file: test/e2e/common/node/pods.go
"""
    data = yaml.safe_load(extract(upstream, "here"))
    assert data == {
        "source": "here",
        "specs": [
            {
                "codename": POD,
                "testname": "Pod Lifecycle, submit and remove",
                "release": "v1.9",
                "file": "test/e2e/common/node/pods.go",
            }
        ],
    }
    assert normalise(" a \n b ") == "a b"


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="k8s.io/kubernetes v1.37.2 not in the Go cache")
def test_shipped_file_matches_the_upstream_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(UPSTREAM / "conformance.yaml")]) == 0
    regenerated = yaml.safe_load(capsys.readouterr().out)
    shipped = Path(__file__).parents[3] / "kubeadm_verify/data/conformance-v1.37.yaml"
    assert regenerated == yaml.safe_load(shipped.read_text())


def test_main_wants_one_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
