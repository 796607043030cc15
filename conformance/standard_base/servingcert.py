"""Trust anchors for kubelets: the cluster CA where it signs the kubelet's certificate, else the
certificate file the kubelet serves from, read off the node's own disk.

The file's path is the kubelet's own word for it: its ``/configz`` (through the API server's node
proxy) names ``tlsCertFile``, which the kubelet fills in with ``<cert dir>/kubelet.crt`` when it
generates its own certificate, so a node whose cert dir is not kubeadm's
``/var/lib/kubelet/pki`` (this project's nodes keep theirs under the state dir) is read where it
really is. Where ``/configz`` cannot be read, kubeadm's default path is tried.

The file is read by a short-lived pod pinned to the node, with a read-only ``hostPath`` of just
that file; the pod prints only its ``CERTIFICATE`` blocks (a certificate is public; should the
file also hold a key, the key never leaves the node). The API server carries the file over a
connection verified against the cluster CA, so what comes back is what is on the node's disk.

The blocks come back as the container's termination message: the kubelet reads that file off
the node before it reports the container ended, so it is whole once the pod has Succeeded. The
container's log need not be: the runtime writes it on its own time, and on a loaded machine it
was read without the certificate after the pod had Succeeded. The log is read only for blocks
longer than the kubelet keeps of a termination message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, server_said
from conformance.standard_base.kubeletapi import Anchor, Endpoint, Unverifiable, verifies
from conformance.standard_base.workloads import finished_logs
from kubeadm_verify import access

KUBEADM_DEFAULT = "/var/lib/kubelet/pki/kubelet.crt"
MOUNTED = "/kubelet-serving/cert"
READ_TIMEOUT_S = 20.0
MESSAGE_KEPT = 4096
"""The kubelet's ``MaxContainerTerminationMessageLength``: of a longer termination message it
keeps only the last this many bytes."""
_READER = (
    "sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "
    f"{MOUNTED} >/dev/termination-log && cat /dev/termination-log"
)
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?")


def configured_path(kube: Kube, node: str) -> tuple[str, str]:
    """The kubelet's ``tlsCertFile`` and how it was learnt (``/configz``, or kubeadm's default
    when ``/configz`` does not name one or cannot be read)."""
    response = kube.raw(
        "GET", f"/api/v1/nodes/{node}/proxy/configz", headers={"Accept": "application/json"}
    )
    if response.status != 200:
        return KUBEADM_DEFAULT, (
            f"kubeadm's default path (the kubelet's /configz answered "
            f"{response.status}: {server_said(response.body)})"
        )
    config = response.json().get("kubeletconfig", {})
    path = config.get("tlsCertFile")
    if not path:
        bootstrap = " (serverTLSBootstrap is on)" if config.get("serverTLSBootstrap") else ""
        return KUBEADM_DEFAULT, f"kubeadm's default path (/configz names no tlsCertFile{bootstrap})"
    return str(path), "the kubelet's /configz"


def reader_pod(name: str, node: str, path: str) -> b.Manifest:
    """A pod on ``node`` that writes the certificate blocks of ``path`` to its termination
    message and its log, and exits."""
    container = b.container(
        image=b.BUSYBOX_IMAGE,
        command=["sh", "-c", _READER],
        volumeMounts=[{"name": "serving-cert", "mountPath": MOUNTED, "readOnly": True}],
    )
    return b.pod(
        name,
        None,
        container,
        nodeName=node,
        restartPolicy="Never",
        tolerations=[{"operator": "Exists"}],  # a control-plane node's kubelet too
        volumes=[{"name": "serving-cert", "hostPath": {"path": path, "type": "File"}}],
    )


def certificates(text: str) -> str:
    """Only the well-formed PEM certificate blocks of ``text``."""
    return "".join(block if block.endswith("\n") else block + "\n" for block in _PEM.findall(text))


@dataclass
class _Reading:
    endpoint: Endpoint
    pod: str
    path: str
    learnt: str


def anchors(
    kube: Kube, namespace: str, endpoints: Sequence[Endpoint], cluster: Anchor | None
) -> dict[str, Anchor | str]:
    """Per node name, the anchor its kubelet verifies against, or why there is none."""
    found: dict[str, Anchor | str] = {}
    pending: list[_Reading] = []
    for index, endpoint in enumerate(endpoints):
        try:
            if cluster is not None and verifies(endpoint, cluster) is None:
                found[endpoint.node] = cluster
                continue
        except Unverifiable as exc:
            found[endpoint.node] = str(exc)
            continue
        path, learnt = configured_path(kube, endpoint.node)
        pod = f"kubelet-serving-cert-{index}"
        kube.core.create_namespaced_pod(namespace, reader_pod(pod, endpoint.node, path))
        pending.append(_Reading(endpoint, pod, path, learnt))
    deadline = time.monotonic() + READ_TIMEOUT_S
    for reading in pending:
        found[reading.endpoint.node] = _anchor_from(kube, namespace, reading, deadline)
    return found


def _anchor_from(kube: Kube, namespace: str, reading: _Reading, deadline: float) -> Anchor | str:
    where = f"{reading.endpoint}: {reading.path} (from {reading.learnt})"
    phase, message = _finished(kube, namespace, reading.pod, deadline)
    if phase != "Succeeded":
        return f"{where} could not be read from the node: {phase}"
    pem = certificates(printed(message, lambda: finished_logs(kube, namespace, reading.pod)))
    if not pem:
        return f"{where} holds no PEM certificate"
    anchor = Anchor(pem, f"{reading.path} read from node {reading.endpoint.node}'s disk")
    try:
        why = verifies(reading.endpoint, anchor)
    except Unverifiable as exc:
        return str(exc)
    return anchor if why is None else why


def printed(message: str | None, log: Callable[[], str]) -> str:
    """What the reader printed: its termination message, unless the kubelet may have cut it
    (or gave none), when its ``log`` is read instead."""
    if message is not None and len(message.encode()) < MESSAGE_KEPT:
        return message
    return log()


def _finished(kube: Kube, namespace: str, pod: str, deadline: float) -> tuple[str, str | None]:
    """The reader pod's final phase (or what kept it from finishing by the deadline), and its
    container's termination message where the kubelet gave one."""
    phase = "Pending"

    def final() -> tuple[str, str | None] | None:
        nonlocal phase
        found = kube.core.read_namespaced_pod(pod, namespace)
        phase = str(found.status.phase if found.status else "Pending")
        if phase not in ("Succeeded", "Failed"):
            return None
        return phase, _termination_message(found)

    try:
        return access.wait_for(final, max(deadline - time.monotonic(), 0.0), interval=0.5)
    except access.WaitTimedOut:
        warning = _last_warning(kube, namespace, pod)
        return f"still {phase} after {READ_TIMEOUT_S:g}s ({warning})", None


def _termination_message(pod: Any) -> str | None:
    for status in pod.status.container_statuses or []:
        ended = status.state.terminated if status.state else None
        if ended is not None:
            return None if ended.message is None else str(ended.message)
    return None


def _last_warning(kube: Kube, namespace: str, pod: str) -> str:
    """The newest Warning event about the pod (a failed hostPath type check says the file is
    missing), in one bounded line."""
    try:
        events = kube.core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={pod},type=Warning"
        ).items
    except client.ApiException:
        return "its events cannot be read"
    if not events:
        return "no warning event"
    last = events[-1]
    return " ".join(f"{last.reason}: {last.message}".split())[:200]
