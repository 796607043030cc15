"""node: a port-forward through the API server reaches a server that listens only on the pod's
localhost, carries the client's bytes to it and the server's answer back.

Nothing but a port-forward (API server → kubelet → runtime, inside the pod's network namespace)
reaches a server bound to ``localhost``. The server is agnhost's ``port-forward-tester``, as in
upstream's ``[sig-cli] Kubectl Port forwarding With a server listening on localhost`` (not
[Conformance]): it accepts one connection, checks that it receives exactly the expected bytes,
answers with fixed chunks, and exits 0 only when the bytes were right. The forward goes over the
API server's websocket, as the official client opens it.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets
import socket
import time
from typing import Any

from kubernetes import client
from kubernetes.stream import portforward

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import logs, wait_pod

PORT = 8080
CHUNKS, CHUNK_SIZE = 3, 64
ATTEMPT_S, ATTEMPTS_S = 5.0, 12.0
_ANSWER = b"x" * (CHUNKS * CHUNK_SIZE)  # what port-forward-tester writes


def _tester(name: str, expected: str) -> b.Manifest:
    env = {"BIND_ADDRESS": "localhost", "BIND_PORT": str(PORT), "EXPECTED_CLIENT_DATA": expected,
           "CHUNKS": str(CHUNKS), "CHUNK_SIZE": str(CHUNK_SIZE), "CHUNK_INTERVAL": "100"}
    return b.pod(name, None, b.container(
        image=b.AGNHOST_IMAGE, command=["/agnhost", "port-forward-tester"],
        env=[{"name": k, "value": v} for k, v in env.items()]), restartPolicy="Never")


def _exchange(kube: Kube, namespace: str, name: str, sent: bytes) -> tuple[bytes, str | None]:
    """Open a forward to the pod's port, send ``sent``, read until the server closes; return what
    came back and the forward's error channel (None when it reported nothing)."""
    forward: Any = portforward(kube.core.connect_get_namespaced_pod_portforward, name,
                               namespace, ports=str(PORT), _request_timeout=ATTEMPT_S)
    try:
        sock: socket.socket = forward.socket(PORT)
        sock.settimeout(ATTEMPT_S)
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
        sock.close()
        return received, forward.error(PORT)
    finally:
        forward.close()


def _one_line(exc: Exception) -> str:
    """What went wrong, bounded: the client packs a failed websocket handshake's status, headers
    and body into one reason joined by ``-+-+-``; the body (the server's words) is what counts."""
    said = str(exc.reason) if isinstance(exc, client.ApiException) else str(exc)
    return " ".join(said.split("-+-+-")[-1].split())[:200] or type(exc).__name__


def _forward(kube: Kube, namespace: str, name: str, sent: bytes) -> tuple[bytes, list[str]]:
    """Forward until the whole answer comes back, the server ends, or the attempts' deadline
    passes (the server may not listen yet: the forward then reports the connection refused);
    return the last answer and what each failed attempt said."""
    said: list[str] = []
    deadline = time.monotonic() + ATTEMPTS_S
    while True:
        try:
            received, error = _exchange(kube, namespace, name, sent)
        except (OSError, client.ApiException) as exc:
            received, error = b"", _one_line(exc)
        if received == _ANSWER:
            return received, said
        said.append(f"{len(received)} bytes back, error channel {error!r}")
        if _ended(kube, namespace, name):
            said.append(f"the server ended: {logs(kube, namespace, name).strip()[:300]!r}")
            return received, said
        if time.monotonic() >= deadline:
            return received, said
        time.sleep(0.5)


def _ended(kube: Kube, namespace: str, name: str) -> bool:
    pod = kube.core.read_namespaced_pod(name, namespace)
    return bool(pod.status and pod.status.phase in ("Succeeded", "Failed"))


@standard_base(id="node/port-forward", needs=["real-kubelet"], timeout=45)
def test_port_forward(kube: Kube, kv_namespace: str) -> None:
    """Bytes sent through a port-forward reach a server listening only on the pod's localhost
    (it says it received exactly them and exits 0), and its answer, 3 chunks of 64 bytes, comes
    back whole."""
    name = "port-forward-localhost"
    expected = secrets.token_hex(8)
    kube.core.create_namespaced_pod(kv_namespace, _tester(name, expected))
    wait_pod(kube, kv_namespace, name, ("Running",), 15)
    received, said = _forward(kube, kv_namespace, name, expected.encode())
    assert received == _ANSWER, f"no whole answer through the port-forward: {'; '.join(said)}"
    done = wait_pod(kube, kv_namespace, name, ("Succeeded",), 5)
    assert done.status.phase == "Succeeded", "the server did not exit 0"
    log = logs(kube, kv_namespace, name)
    assert "Received expected client data" in log, (
        "the server did not report receiving the bytes sent through the forward")
