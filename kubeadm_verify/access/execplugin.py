"""Exec credential plugins, run bounded: a time limit, an output cap, and never outliving us.

The kubernetes client runs a kubeconfig's ``exec`` plugin with ``communicate()`` and no timeout:
a plugin that waits for a browser login, or hangs, holds the run forever, and an interrupted run
leaves it behind. Here the plugin runs in its own session (so it is one process group, ours to
end), with stdin closed (never interactive), within ``EXEC_TIMEOUT_S``, its output read up to
``MAX_OUTPUT_BYTES``; whatever way the wait ends, a plugin still running is killed with its
group. What it returns is handed to the client as a plain token or client certificate, so the
client never runs the plugin itself.

The request it gets (``KUBERNETES_EXEC_INFO``) and the checks of its answer are the client's
(``kubernetes.config.exec_provider``), and so are the error texts, ``exec: ...``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from typing import Any

EXEC_TIMEOUT_S = 60.0
"""client-go waits for ever; a plugin that has not answered in a minute is waiting for a person."""
MAX_OUTPUT_BYTES = 1024 * 1024


class ExecFailed(Exception):
    """The plugin could not give credentials; the message is one line, ``exec: ...``."""


def run(
    plugin: Mapping[str, Any],
    cluster: Mapping[str, Any] | None = None,
    timeout_s: float = EXEC_TIMEOUT_S,
) -> dict[str, Any]:
    """The ``status`` of the plugin's ``ExecCredential``: a token or client certificate data."""
    for key in ("command", "apiVersion"):
        if key not in plugin:
            raise ExecFailed(f"exec: malformed request. missing key '{key}'")
    argv = [str(plugin["command"]), *(str(a) for a in plugin.get("args") or [])]
    env = dict(os.environ)
    env.update({str(e["name"]): str(e["value"]) for e in plugin.get("env") or []})
    spec: dict[str, Any] = {"interactive": False}
    if plugin.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = dict(cluster)
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": plugin["apiVersion"], "kind": "ExecCredential", "spec": spec}
    )
    code, stdout, stderr = _run_bounded(argv, env, timeout_s)
    if code != 0:
        said = stderr.decode("utf-8", "replace").strip()
        raise ExecFailed(f"exec: process returned {code}" + (f". {said}" if said else ""))
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ExecFailed(f"exec: failed to decode process output: {exc}") from None
    for key in ("apiVersion", "kind", "status"):
        if not isinstance(data, dict) or key not in data:
            raise ExecFailed(f"exec: malformed response. missing key '{key}'")
    if data["apiVersion"] != plugin["apiVersion"]:
        raise ExecFailed(
            f"exec: plugin api version {data['apiVersion']} does not match {plugin['apiVersion']}"
        )
    status = data["status"]
    return dict(status) if isinstance(status, dict) else {}


def as_user(status: Mapping[str, Any]) -> dict[str, str]:
    """The kubeconfig user fields that carry what the plugin returned (empty if nothing)."""
    user: dict[str, str] = {}
    if status.get("token"):
        user["token"] = str(status["token"])
    if status.get("clientCertificateData") and status.get("clientKeyData"):
        user["client-certificate-data"] = _b64(status["clientCertificateData"])
        user["client-key-data"] = _b64(status["clientKeyData"])
    return user


def _b64(pem: object) -> str:
    return base64.b64encode(str(pem).encode()).decode()


def _run_bounded(
    argv: list[str], env: dict[str, str], timeout_s: float
) -> tuple[int, bytes, bytes]:
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise ExecFailed(f"exec: {exc.strerror or exc}: {argv[0]}") from None
    deadline = time.monotonic() + timeout_s
    try:
        stdout, stderr = _collect(process, argv[0], deadline, timeout_s)
        return process.wait(timeout=max(0.0, deadline - time.monotonic())), stdout, stderr
    except subprocess.TimeoutExpired:
        raise ExecFailed(f"exec: the plugin did not finish within {timeout_s:g}s") from None
    finally:
        _end(process)


def _collect(
    process: subprocess.Popen[bytes], name: str, deadline: float, timeout_s: float
) -> tuple[bytes, bytes]:
    """Both pipes, read as they fill, until both close, the deadline or the cap."""
    streams = {process.stdout: bytearray(), process.stderr: bytearray()}
    with selectors.DefaultSelector() as selector:
        for stream in streams:
            selector.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecFailed(f"exec: the plugin did not finish within {timeout_s:g}s")
            for key, _ in selector.select(left):
                piece = os.read(key.fd, 65536)
                if not piece:
                    selector.unregister(key.fileobj)
                    continue
                buffer = streams[key.fileobj]  # type: ignore[index]
                buffer += piece
                if len(buffer) > MAX_OUTPUT_BYTES:
                    raise ExecFailed(f"exec: {name} wrote more than {MAX_OUTPUT_BYTES // 1024} KiB")
    return bytes(streams[process.stdout]), bytes(streams[process.stderr])


def _end(process: subprocess.Popen[bytes]) -> None:
    """The plugin and anything it started, killed if still running; pipes closed."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
