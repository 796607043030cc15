"""Exec credential plugins as real processes: answered, failing, hanging, flooding."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kubeadm_verify.access import execplugin

API = "client.authentication.k8s.io/v1"


def plugin(tmp_path: Path, body: str) -> dict[str, object]:
    script = tmp_path / "credential"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return {"apiVersion": API, "command": str(script), "env": [{"name": "KV_X", "value": "1"}]}


def test_a_token_is_handed_over_as_a_kubeconfig_user(tmp_path: Path) -> None:
    answer = json.dumps(
        {"apiVersion": API, "kind": "ExecCredential", "status": {"token": "tok-123"}}
    )
    status = execplugin.run(plugin(tmp_path, f"test \"$KV_X\" = 1 && echo '{answer}'"))
    assert execplugin.as_user(status) == {"token": "tok-123"}


def test_the_request_says_not_interactive(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    script = plugin(tmp_path, f'printf %s "$KUBERNETES_EXEC_INFO" > {seen}; exit 3')
    with pytest.raises(execplugin.ExecFailed, match="process returned 3"):
        execplugin.run(script)
    assert json.loads(seen.read_text())["spec"] == {"interactive": False}


def test_a_failing_plugin_says_why(tmp_path: Path) -> None:
    with pytest.raises(execplugin.ExecFailed, match=r"^exec: process returned 1\. not logged in$"):
        execplugin.run(plugin(tmp_path, "echo 'not logged in' >&2; exit 1"))


def test_a_hanging_plugin_and_what_it_started_are_killed_at_the_timeout(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    body = f"sleep 300 & echo $! > {pids}; echo $$ >> {pids}; wait"
    started = time.monotonic()
    with pytest.raises(execplugin.ExecFailed, match="did not finish within 1s"):
        execplugin.run(plugin(tmp_path, body), timeout_s=1)
    assert time.monotonic() - started < 3
    for pid in (int(p) for p in pids.read_text().split()):
        assert _gone(pid, str(tmp_path)), pid


def _gone(pid: int, marker: str) -> bool:
    """The process is no longer ours: gone, a zombie being reaped, or its pid reused."""
    until = time.monotonic() + 3
    while time.monotonic() < until:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return True
        if state == "Z" or b"KV_X=1" not in environ:
            return True
        time.sleep(0.05)
    return marker == ""


def test_a_flood_of_output_is_refused_at_the_cap(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(execplugin.ExecFailed, match="wrote more than 1024 KiB"):
        execplugin.run(plugin(tmp_path, "exec cat /dev/zero"))
    assert time.monotonic() - started < 5


def test_a_missing_command_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(execplugin.ExecFailed, match="No such file"):
        execplugin.run({"apiVersion": API, "command": str(tmp_path / "absent")})
    assert os.environ.get("KUBERNETES_EXEC_INFO") is None
