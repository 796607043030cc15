"""What the bootstrap integration tests share: raw HTTP as anyone, and "is anything left?"."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from bootstrap.runtime import process
from bootstrap.runtime.ports import is_listening
from bootstrap.runtime.state import ProcessRecord, StateDir


def kubeconfig_parts(path: Path, tmp: Path) -> tuple[str, Path]:
    """The server URL and the CA (written to ``tmp``) of a kubeconfig's first cluster."""
    config = yaml.safe_load(path.read_text())
    cluster = config["clusters"][0]["cluster"]
    ca = tmp / "ca.crt"
    ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    return str(cluster["server"]), ca


def anonymous_get(server: str, ca: Path, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server + path, verify=str(ca), headers=headers, timeout=10)


def post_json(
    server: str, ca: Path, path: str, body: dict[str, Any], token: str
) -> requests.Response:
    return requests.post(
        server + path,
        verify=str(ca),
        timeout=10,
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def recorded(state: StateDir) -> tuple[list[ProcessRecord], list[int]]:
    """The processes and the ports a state dir records (read before it is removed)."""
    ports = [int(port) for port in state.cluster_record().ports.values()]
    return state.processes(), ports


def assert_nothing_left(records: list[ProcessRecord], ports: list[int], root: Path) -> None:
    alive = process.still_running(records)
    assert not alive, f"still running: {[(r.component, r.pid) for r in alive]}"
    listening = [port for port in ports if is_listening(port)]
    assert not listening, f"still listening: {listening}"
    assert not root.exists(), f"{root} still exists"


def eventually(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.2)
