"""``down``/``up`` delete only a state dir carrying the marker written when ``up`` created it.

A directory that merely holds a file named ``cluster.json`` or ``processes.json`` (with anything
else beside it) is someone else's: refused with one line, exit 2, every file still there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap.runtime.state import MARKER, StateDir

pytestmark = pytest.mark.integration


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def stray(tmp_path: Path) -> Path:
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "cluster.json").write_text("{}\n")
    (folder / "processes.json").write_text('{"processes": []}\n')
    (folder / "thesis.tex").write_text("years of work\n")
    return folder


@pytest.mark.parametrize("verb", ["down", "up"])
def test_a_dir_without_our_marker_is_refused_and_kept(verb: str, stray: Path) -> None:
    before = sorted(path.name for path in stray.iterdir())
    done = cli(verb, "--name", "kvboot-stray", "--state-dir", str(stray))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a kubeadm-verify state dir" in lines[0], done.stderr
    assert sorted(path.name for path in stray.iterdir()) == before


def test_a_dir_we_created_carries_the_marker_and_down_removes_it(tmp_path: Path) -> None:
    state = StateDir.for_cluster("kvboot-marker", tmp_path / "ours")
    done = cli("phase", "certs/ca", "--name", "kvboot-marker", "--state-dir", str(state.root))
    assert done.returncode == 0, done.stderr
    assert (state.root / MARKER).is_file() and state.is_ours()
    assert (state.pki / "ca.crt").is_file()
    gone = cli("down", "--name", "kvboot-marker", "--state-dir", str(state.root))
    assert gone.returncode == 0, gone.stderr
    assert not state.root.exists()
    again = cli("down", "--name", "kvboot-marker", "--state-dir", str(state.root))
    assert again.returncode == 0, again.stderr


def test_phase_certs_writes_certificates_without_any_binary(tmp_path: Path) -> None:
    """An empty cache (no binaries, no Go build) is no obstacle to ``phase certs``."""
    import os

    state = tmp_path / "certs-only"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "phase",
            "certs",
            "--name",
            "kvboot-certs",
            "--state-dir",
            str(state),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (state / "pki" / "apiserver.crt").is_file() and (state / "pki" / "sa.pub").is_file()
    assert not (tmp_path / "empty-cache" / "kubeadm-verify" / "bin").exists()
    assert cli("down", "--name", "kvboot-certs", "--state-dir", str(state)).returncode == 0
