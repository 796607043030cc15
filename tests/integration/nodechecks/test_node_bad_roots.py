"""``kubeadm-verify node`` as a process over roots built to hurt it: FIFOs, device nodes and
sockets where /proc and /etc files should be, a meminfo linked to the root's shadow file, and bad
input. Each run must end quickly, write both reports, leak nothing it read."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.unit.nodechecks.node_roots import healthy_root, link, write

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
WALL_S = 30
SECRET = "kvnodeSECRETsalt"
SHADOW = (
    f"root:$6${SECRET}$Xr9yq3Vd0bN1kvnodeHASHxQ:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n"
)


def run_node(root: Path, out: Path, *extra: str) -> tuple[int, str, str, dict[str, Any], float]:
    started = time.monotonic()
    done = subprocess.run(
        [
            "timeout",
            str(WALL_S),
            sys.executable,
            "-m",
            "kubeadm_verify",
            "node",
            "--root",
            str(root),
            "--output-dir",
            str(out),
            "--format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    elapsed = time.monotonic() - started
    results = out / "node" / "results.json"
    assert results.exists() and (out / "node" / "junit.xml").exists(), done.stderr
    return done.returncode, done.stdout, done.stderr, json.loads(results.read_text()), elapsed


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in report["checks"]}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return healthy_root(tmp_path / "kvnode-root")


def _fifo(root: Path, path: str) -> None:
    (root / path).unlink()
    os.mkfifo(root / path)


def _device(root: Path, path: str) -> None:
    (root / path).unlink()
    os.mknod(root / path, 0o600 | 0o020000, os.makedev(1, 5))  # a char device: /dev/zero


def _socket(root: Path, path: str) -> None:
    (root / path).unlink()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / path))
    server.close()  # the socket file stays


@pytest.mark.parametrize("make", [_fifo, _device, _socket], ids=["fifo", "device", "socket"])
@pytest.mark.parametrize(
    ("path", "check_id"),
    [
        ("proc/meminfo", "Mem"),
        ("proc/swaps", "Swap"),
        ("etc/os-release", "SystemVerification"),
        ("proc/self/mountinfo", "SystemVerification"),
        ("proc/net/tcp", "Port-10250"),
    ],
)
def test_special_files_are_cannot_determine(
    root: Path, tmp_path: Path, make: Any, path: str, check_id: str
) -> None:
    make(root, path)
    code, _, stderr, report, elapsed = run_node(root, tmp_path / "out")
    assert elapsed < WALL_S - 5 and code == 0, stderr
    check = by_id(report)[check_id]
    assert check["status"] == "warn" and check["message"].startswith("cannot determine")
    assert f"{path.rsplit('/', 1)[-1]}:" in check["message"]
    assert "not a regular file" in check["message"]


def test_meminfo_linked_to_the_roots_shadow_leaks_nothing(root: Path, tmp_path: Path) -> None:
    write(root, "etc/shadow", SHADOW, 0o600)
    (root / "proc/meminfo").unlink()
    link(root, "proc/meminfo", "/etc/shadow")  # resolved inside the root
    (root / "etc/machine-id").unlink()
    link(root, "etc/machine-id", "../etc/shadow")
    out = tmp_path / "out"
    code, stdout, stderr, report, _ = run_node(root, out)
    assert by_id(report)["Mem"]["status"] in ("error", "warn")
    assert by_id(report)["MachineID"]["status"] == "warn"
    written = [p.read_text() for p in (out / "node").iterdir()] + [stdout, stderr]
    for text in written:
        assert SECRET not in text and "kvnodeHASH" not in text and "daemon:" not in text
    assert code == 1  # Mem could not run: an error, with evidence but no content


def test_bad_input_is_one_line_exit_2_and_reports(root: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "kvnode-config.fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "kvnode-huge.yaml"
    huge.write_text("# padding\n" * 300_000)
    for extra, needle in [
        (("--kubernetes-version", "banana"), "banana"),
        (("--config", str(fifo)), "FIFO"),
        (("--config", str(huge)), "larger than"),
    ]:
        out = tmp_path / f"out-{len(needle)}-{needle}"
        code, _, stderr, report, elapsed = run_node(root, out, *extra)
        assert (code, elapsed < WALL_S - 5) == (2, True), stderr
        assert len(stderr.strip().splitlines()) == 1 and needle in stderr
        assert [c["status"] for c in report["checks"]] == ["error"]
