"""``kubeadm-verify node`` as a process on this machine, checked against facts read apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def run_node(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "node",
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "reports"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, dict[str, Any]]]:
    code, report, _ = run_node(tmp_path_factory.mktemp("live"))
    return code, {check["id"]: check for check in report["checks"]}


def test_exit_code_follows_the_results(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    code, checks = live
    failed = [i for i, c in checks.items() if c["status"] in ("fail", "error")]
    assert code == (1 if failed else 0)
    assert not [i for i, c in checks.items() if c["status"] == "error"]


def test_cpu_count(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    cpus = live[1]["NumCPU"]["details"]["cpus"]
    assert cpus == len(os.sched_getaffinity(0))
    assert cpus == (os.cpu_count() or 0)  # no affinity restriction on this machine


def test_memory(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    with open("/proc/meminfo") as handle:
        kb = int(next(line for line in handle if line.startswith("MemTotal:")).split()[1])
    assert live[1]["Mem"]["details"]["mem_mb"] == kb // 1024


def test_cgroup_version(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    fstype = subprocess.run(
        ["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True, text=True, check=True
    ).stdout.strip()
    expected = 2 if fstype == "cgroup2fs" else 1
    if fstype == "tmpfs" and not os.path.isdir("/sys/fs/cgroup/memory"):
        expected = 2
    assert live[1]["SystemVerification"]["details"]["cgroup_version"] == expected


def test_swap(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    with open("/proc/swaps") as handle:
        active = len([line for line in handle if line.strip()]) > 1
    assert live[1]["Swap"]["status"] == ("warn" if active else "pass")


def test_ip_forward(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    value = (
        subprocess.run(
            ["sysctl", "-n", "net.ipv4.ip_forward"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if shutil.which("sysctl")
        else (Path("/proc/sys/net/ipv4/ip_forward").read_text().strip())
    )
    check = live[1]["FileContent--proc-sys-net-ipv4-ip_forward"]
    assert check["status"] == ("pass" if value == "1" else "fail")


def test_privileged_user(live: tuple[int, dict[str, dict[str, Any]]]) -> None:
    assert live[1]["IsPrivilegedUser"]["status"] == ("pass" if os.geteuid() == 0 else "fail")


def test_missing_root_is_a_start_failure(tmp_path: Path) -> None:
    script = shutil.which("kubeadm-verify")
    argv = [script] if script else [sys.executable, "-m", "kubeadm_verify"]
    out = tmp_path / "reports"
    done = subprocess.run(
        [*argv, "node", "--root", "/does/not/exist", "--output-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "/does/not/exist" in done.stderr
    report = json.loads((out / "node/results.json").read_text())
    assert [c["status"] for c in report["checks"]] == ["error"]
    assert "<error" in (out / "node/junit.xml").read_text()


def test_the_tier_stays_light(tmp_path: Path) -> None:
    """No kubernetes client, and no psutil/pyroute2/grpc/yaml unless a check needs them."""
    code = (
        "import sys\nfrom kubeadm_verify.cli import main\n"
        f"main(['node', '--format', 'json', '--output-dir', {str(tmp_path)!r}])\n"
        "heavy = ('kubernetes', 'pyroute2', 'psutil', 'yaml', 'rich.syntax')\n"
        "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1:] in ([], [""])
