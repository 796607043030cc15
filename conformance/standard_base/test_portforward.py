"""node: on every schedulable real node, a port-forward through the API server reaches a server
that listens only on the pod's localhost, carries the client's bytes to it and the server's
answer back.

Nothing but a port-forward (API server → kubelet → runtime, inside the pod's network namespace)
reaches a server bound to ``localhost``. The server is agnhost's ``port-forward-tester``, as in
upstream's ``[sig-cli] Kubectl Port forwarding With a server listening on localhost`` (not
[Conformance]): it accepts one connection, checks that it receives exactly the expected bytes,
answers with fixed chunks, and exits 0 only when the bytes were right. The forward goes over the
API server's websocket, as the official client opens it.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
from typing import Any

from kubernetes import client
from kubernetes.stream import portforward

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.pernode import (
    Placed,
    assert_every_node,
    phase_in,
    place,
    pod_nodes,
    wait_every,
)
from conformance.standard_base.workloads import logs
from kubeadm_verify import access

PORT = 8080
CHUNKS, CHUNK_SIZE = 3, 64
ATTEMPT_S, ATTEMPTS_S = 5.0, 12.0
_ANSWER = b"x" * (CHUNKS * CHUNK_SIZE)  # what port-forward-tester writes


def _tester(name: str, expected: str) -> b.Manifest:
    env = {
        "BIND_ADDRESS": "localhost",
        "BIND_PORT": str(PORT),
        "EXPECTED_CLIENT_DATA": expected,
        "CHUNKS": str(CHUNKS),
        "CHUNK_SIZE": str(CHUNK_SIZE),
        "CHUNK_INTERVAL": "100",
    }
    return b.pod(
        name,
        None,
        b.container(
            image=b.AGNHOST_IMAGE,
            command=["/agnhost", "port-forward-tester"],
            env=[{"name": k, "value": v} for k, v in env.items()],
        ),
        restartPolicy="Never",
    )


def _exchange(kube: Kube, namespace: str, name: str, sent: bytes) -> tuple[bytes, str | None]:
    """Open a forward to the pod's port, send ``sent``, read until the server closes; return what
    came back and the forward's error channel (None when it reported nothing)."""
    forward: Any = portforward(
        kube.core.connect_get_namespaced_pod_portforward,
        name,
        namespace,
        ports=str(PORT),
        _request_timeout=ATTEMPT_S,
    )
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


def _attempt(kube: Kube, namespace: str, name: str, sent: bytes) -> str | None:
    """One forward to the pod: None when the whole answer came back, else what happened."""
    try:
        received, error = _exchange(kube, namespace, name, sent)
    except (OSError, client.ApiException) as exc:
        received, error = b"", _one_line(exc)
    if received == _ANSWER:
        return None
    return f"{len(received)} bytes back, error channel {error!r}"


def _forward_all(
    kube: Kube, namespace: str, placed: list[Placed], sent: dict[str, bytes]
) -> dict[str, str | None]:
    """Forward to each pod until its whole answer comes back, its server ends, or the shared
    deadline passes (a server may not listen yet: the forward then reports the connection
    refused); per node, None or what each failed attempt said."""
    said: dict[str, list[str]] = {one.node: [] for one in placed}
    pending = list(placed)

    def round_done() -> bool:
        for one in list(pending):
            why = _attempt(kube, namespace, one.pod, sent[one.pod])
            if why is None:
                pending.remove(one)
                said[one.node] = []
                continue
            said[one.node].append(why)
            if _ended(kube, namespace, one.pod):
                said[one.node].append(
                    f"the server ended: {logs(kube, namespace, one.pod).strip()[:300]!r}"
                )
                pending.remove(one)
        return not pending

    with contextlib.suppress(access.WaitTimedOut):  # what each attempt said is the answer
        access.wait_for(round_done, ATTEMPTS_S, interval=0.5)
    return {
        node: (
            "no whole answer through the port-forward: " + "; ".join(lines[-3:]) if lines else None
        )
        for node, lines in said.items()
    }


def _ended(kube: Kube, namespace: str, name: str) -> bool:
    pod = kube.core.read_namespaced_pod(name, namespace)
    return bool(pod.status and pod.status.phase in ("Succeeded", "Failed"))


def _received_whole(kube: Kube, namespace: str, name: str) -> str | None:
    """None when the server exited 0 saying it received exactly the bytes sent."""
    if "Received expected client data" not in logs(kube, namespace, name):
        return "the server did not report receiving the bytes sent through the forward"
    return None


@standard_base(id="node/port-forward", needs=["real-kubelet"], timeout=45)
def test_port_forward(kube: Kube, kv_namespace: str) -> None:
    """On every schedulable real node, bytes sent through a port-forward reach a server
    listening only on the pod's localhost (it says it received exactly them and exits 0), and
    its answer, 3 chunks of 64 bytes, comes back whole: each node's kubelet streams it."""
    sent: dict[str, bytes] = {}

    def tester(name: str, _node: str) -> b.Manifest:
        sent[name] = secrets.token_hex(8).encode()
        return _tester(name, sent[name].decode())

    placed = place(kube, kv_namespace, "port-forward", pod_nodes(kube), tester)
    wait_every(kube, kv_namespace, placed, "the server to run", phase_in("Running"), 15)
    forwarded = _forward_all(kube, kv_namespace, placed, sent)
    assert_every_node(forwarded, "a port-forward to a server on the pod's localhost")
    wait_every(kube, kv_namespace, placed, "the server to exit 0", phase_in("Succeeded"), 10)
    assert_every_node(
        {one.node: _received_whole(kube, kv_namespace, one.pod) for one in placed},
        "the bytes sent through a port-forward",
    )
