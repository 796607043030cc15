"""storage: the kubelet's atomic-writer volumes (Secret, ConfigMap, downward API, projected) as a
container sees them: one key mounted by ``subPath`` (through the volume's ``..data`` link, at a
directory or over a file the runtime itself mounts), and a Secret and a ConfigMap of the same name
mounted side by side.

Upstream runs a pod per spec; here one pod holds a container per spec, each printing what it
mounted, and what each spec asserts of its container's output is asserted here.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else (the values here
are made up for the test).
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import finished_logs_of, wait_pod

SUBPATH = "[sig-storage] Subpath Atomic writer volumes should support subpaths with"
MOUNT = "/test-volume"
WRAPPED = "wrapper"  # the Secret and the ConfigMap share this name


def _reader(name: str, volume: str, sub_path: str, at: str = MOUNT) -> b.Manifest:
    return b.container(
        name,
        image=b.BUSYBOX_IMAGE,
        command=["cat", at],
        volumeMounts=[{"name": volume, "mountPath": at, "subPath": sub_path}],
    )


def _volumes() -> list[dict[str, Any]]:
    projected = {
        "configMap": {
            "name": "my-configmap",
            "items": [{"key": "configmap-key", "path": "projected/configmap-key"}],
        }
    }
    podname = {"path": "downward/podname", "fieldRef": {"fieldPath": "metadata.name"}}
    return [
        {"name": "secret", "secret": {"secretName": "my-secret"}},
        {"name": "configmap", "configMap": {"name": "my-configmap"}},
        {"name": "downward", "downwardAPI": {"items": [podname]}},
        {"name": "projected", "projected": {"sources": [projected]}},
        {"name": "wrapped-secret", "secret": {"secretName": WRAPPED}},
        {"name": "wrapped-configmap", "configMap": {"name": WRAPPED}},
    ]


def _pod(name: str) -> b.Manifest:
    both = b.container(
        "wrapped",
        image=b.BUSYBOX_IMAGE,
        command=["cat", "/etc/secret-volume/data-1", "/etc/configmap-volume/data-1"],
        volumeMounts=[
            {"name": "wrapped-secret", "mountPath": "/etc/secret-volume", "readOnly": True},
            {"name": "wrapped-configmap", "mountPath": "/etc/configmap-volume"},
        ],
    )
    return b.pod(
        name,
        None,
        _reader("secret", "secret", "secret-key"),
        _reader("configmap", "configmap", "configmap-key"),
        _reader("configmap-over-file", "configmap", "configmap-key", at="/etc/resolv.conf"),
        _reader("downward", "downward", "downward/podname"),
        _reader("projected", "projected", "projected/configmap-key"),
        both,
        restartPolicy="Never",
        volumes=_volumes(),
    )


@standard_base(
    id="storage/atomic-writer-volumes",
    conformance=[
        f"{SUBPATH} secret pod [Conformance]",
        f"{SUBPATH} configmap pod [Conformance]",
        f"{SUBPATH} configmap pod with mountPath of existing file [Conformance]",
        f"{SUBPATH} downward pod [Conformance]",
        f"{SUBPATH} projected pod [Conformance]",
        "[sig-storage] EmptyDir wrapper volumes should not conflict [Conformance]",
    ],
    needs=["real-kubelet"],
    timeout=45,  # the pod's 25 s, its logs' settle bound, and room to fail with their messages
)
def test_atomic_writer_volumes(kube: Kube, kv_namespace: str) -> None:
    """A container reads, at its ``subPath`` mount, a Secret's key, a ConfigMap's key (also when
    mounted over ``/etc/resolv.conf``), the downward API's pod name and a projected ConfigMap's
    key; a Secret and a ConfigMap of one name, mounted in one container, each give their own
    file."""
    core, name = kube.core, "pod-subpath-test"
    core.create_namespaced_secret(
        kv_namespace,
        {"metadata": {"name": "my-secret"}, "stringData": {"secret-key": "secret-value"}},
    )
    core.create_namespaced_config_map(
        kv_namespace,
        {"metadata": {"name": "my-configmap"}, "data": {"configmap-key": "configmap-value"}},
    )
    core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": WRAPPED}, "stringData": {"data-1": "value-1\n"}}
    )
    core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": WRAPPED}, "data": {"data-1": "value-1\n"}}
    )
    core.create_namespaced_pod(kv_namespace, _pod(name))
    # six containers, which the kubelet starts one after another, each with its mounts: 15 s
    # was too short at a load of 30 on two cores
    pod = wait_pod(kube, kv_namespace, name, ("Succeeded", "Failed"), 25)
    assert pod.status.phase == "Succeeded", f"a container could not read its mount: {_ends(pod)}"
    want = {
        "secret": "secret-value",
        "configmap": "configmap-value",
        "configmap-over-file": "configmap-value",
        "downward": name,
        "projected": "configmap-value",
        "wrapped": "value-1\nvalue-1\n",
    }
    # the pod has ended: its logs are read as a finished container's (an empty one asked again)
    read = finished_logs_of(kube, kv_namespace, {c: (name, c) for c in want})
    wrong = {c: len(read[c]) for c, value in want.items() if read[c] != value}
    assert not wrong, (
        f"containers that read other than their mount holds (characters read): {wrong}"
    )


def _ends(pod: Any) -> dict[str, str]:
    """How each container ended (its reason and exit code), for a failure message."""
    ends: dict[str, str] = {}
    for status in pod.status.container_statuses or []:
        done = status.state.terminated if status.state else None
        ends[status.name] = f"{done.reason} {done.exit_code}" if done else "not terminated"
    return ends
