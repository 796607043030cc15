"""``kubeadm-verify upgrade`` that cannot start: one line, exit 2, its report with one error,
and nothing made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.runtime.state import StateDir
from kubeadm_verify.cli import main


def only_error(folder: Path) -> str:
    data = json.loads((folder / "upgrade" / "results.json").read_text())
    assert data["summary"]["error"] == 1 and len(data["checks"]) == 1, data
    assert (folder / "upgrade" / "junit.xml").is_file()
    return str(data["checks"][0]["message"])


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--to", "1.x"], "--to '1.x' is not a version such as v1.37.2"),
        (["--name", "nosuch-upgrade"], "no cluster 'nosuch-upgrade'"),
        (["--patches", "/nonexistent-patches"], "--patches /nonexistent-patches: no such"),
        (["--upgrade-manifests-timeout", "soon"], "--upgrade-manifests-timeout 'soon': expected"),
        (["--patches", "PATCHES"], "apiserver.yaml is not named as kubeadm reads a patch"),
    ],
)
def test_an_upgrade_that_cannot_start_says_why_in_one_line(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    state = ["--state-dir", str(tmp_path / "state")]
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "apiserver.yaml").write_text("spec: {}\n")  # no known target: kubeadm skips it
    argv = [str(patches) if arg == "PATCHES" else arg for arg in argv]
    code = main(["upgrade", *state, *argv, "--output-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and said in err[0], err
    assert said in only_error(out)
    assert not (tmp_path / "state").exists()


def test_a_cluster_kubeadm_did_not_bring_up_is_not_upgraded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "python-made"
    StateDir(state, "python-made").create()  # a state dir whose record names no kubeadm
    out = tmp_path / "reports"
    code = main(
        ["upgrade", "--name", "python-made", "--state-dir", str(state), "--output-dir", str(out)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "was not brought up by kubeadm" in err
    assert "was not brought up by kubeadm" in only_error(out)
