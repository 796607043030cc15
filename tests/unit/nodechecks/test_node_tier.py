"""The whole node tier against a fabricated root: through ``cli.main`` and through plain pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubeadm_verify.cli import main
from nodechecks.checks import REGISTRY
from tests.unit.nodechecks.entry_point import PLUGIN, declared, env_with_entry_point


def test_cli_main_over_a_fabricated_root(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    code = main(["node", "--root", str(root), "--format", "json", "--output-dir", str(out)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [c["id"] for c in report["checks"]] == REGISTRY.ids()
    assert report["summary"]["fail"] == 0 and report["summary"]["error"] == 0
    assert report["summary"]["pass"] == 35 and report["summary"]["skip"] == 14
    assert json.loads((out / "node/results.json").read_text())["summary"] == report["summary"]
    assert "Port-6443" in (out / "node/junit.xml").read_text()


def test_cli_main_failure_exit_and_ignore(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "sys/devices/system/cpu/online").write_text("0\n")
    args = ["node", "--root", str(root), "--format", "json", "--output-dir", str(tmp_path)]
    assert main(args) == 1
    failed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in failed["checks"] if c["status"] == "fail"] == ["NumCPU"]
    assert main([*args, "--ignore-preflight-errors", "numcpu,NoSuchCheck"]) == 0
    ignored = json.loads(capsys.readouterr().out)
    by_id = {c["id"]: c for c in ignored["checks"]}
    assert by_id["NumCPU"]["status"] == "warn" and by_id["NumCPU"]["details"]["ignored"]
    assert by_id["IgnorePreflightErrors"]["details"]["unknown"] == ["nosuchcheck"]


def test_cli_text_output_is_kubeadm_style(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "proc/sys/net/ipv4/ip_forward").write_text("0\n")
    (root / "proc/sys/fs/inotify/max_user_instances").write_text("128\n")
    code = main(["node", "--root", str(root), "--output-dir", str(tmp_path)])
    text = capsys.readouterr().out
    assert code == 1
    assert "[WARNING Inotify]: fs.inotify.max_user_instances = 128" in text
    assert "[preflight] Some fatal errors occurred:" in text
    assert (
        "[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward "
        "contents are not set to 1"
    ) in text


def test_cli_worker_role_and_kubernetes_version(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "node",
        "--root",
        str(root),
        "--format",
        "json",
        "--output-dir",
        str(tmp_path),
        "--role",
        "control-plane",
        "--kubernetes-version",
        "v1.31.0",
    ]
    assert main(args) == 1  # Kubernetes 1.31 still needs conntrack, which the root lacks
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert [i for i, c in checks.items() if c["status"] == "fail"] == ["FileExisting-conntrack"]
    worker = [*args[:-3], "worker", *args[-2:]]
    assert main(worker) == 0  # kubeadm join knows no version, so never checks conntrack
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["FileExisting-conntrack"]["status"] == "skip"
    assert checks["NumCPU"]["status"] == "skip"
    assert checks["FileAvailable--etc-kubernetes-pki-ca.crt"]["status"] == "pass"


def test_the_node_plugin_is_a_pytest11_entry_point_named_after_its_module() -> None:
    assert declared() == PLUGIN


def test_plain_pytest_pyargs_over_the_root(root: Path, tmp_path: Path) -> None:
    env = env_with_entry_point(tmp_path / "site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "nodechecks",
            "--node-root",
            str(root),
            "-o",
            "addopts=",
            "-o",
            "testpaths=",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "35 passed, 14 skipped" in done.stdout
