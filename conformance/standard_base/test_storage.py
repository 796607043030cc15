"""storage: ConfigMap, Secret, downward API and emptyDir volumes, read from inside a container.

Each needs a real kubelet (a simulated node mounts nothing). The file modes checked are the
defaults upstream checks (0644 for projected files).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import exec_in, logs, wait_pod, wait_running_ready

SIG = "[sig-storage]"


def _reader(name: str, path: str, volume: dict[str, Any], mount: str) -> dict[str, Any]:
    """A pod that prints the file's mode and content, then exits."""
    script = f"stat -L -c '%a' {path}; cat {path}"
    return b.pod(
        name,
        None,
        b.container(
            image=b.BUSYBOX_IMAGE,
            command=["sh", "-c", script],
            volumeMounts=[{"name": "volume", "mountPath": mount, "readOnly": True}],
        ),
        restartPolicy="Never",
        volumes=[{"name": "volume", **volume}],
    )


def _read(kube: Kube, namespace: str, pod: dict[str, Any]) -> list[str]:
    name = pod["metadata"]["name"]
    kube.core.create_namespaced_pod(namespace, pod)
    wait_pod(kube, namespace, name, ("Succeeded",), 75)
    return logs(kube, namespace, name).splitlines()


@standard_base(
    id="storage/configmap-volume",
    conformance=[
        f"{SIG} ConfigMap should be consumable from pods in volume [Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_configmap_volume(kube: Kube, kv_namespace: str) -> None:
    """A ConfigMap mounted as a volume shows its keys as files (mode 0644) in the container."""
    kube.core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": "configmap-test-volume"}, "data": {"data-1": "value-1"}}
    )
    lines = _read(
        kube,
        kv_namespace,
        _reader(
            "pod-configmaps",
            "/etc/configmap-volume/data-1",
            {"configMap": {"name": "configmap-test-volume"}},
            "/etc/configmap-volume",
        ),
    )
    assert lines == ["644", "value-1"], f"the container read {lines}"


@standard_base(
    id="storage/secret-volume",
    conformance=[
        f"{SIG} Secrets should be consumable from pods in volume [Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_secret_volume(kube: Kube, kv_namespace: str) -> None:
    """A Secret mounted as a volume shows its keys as files (mode 0644) in the container."""
    kube.core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": "secret-test"}, "stringData": {"data-1": "value-1"}}
    )
    lines = _read(
        kube,
        kv_namespace,
        _reader(
            "pod-secrets",
            "/etc/secret-volume/data-1",
            {"secret": {"secretName": "secret-test"}},
            "/etc/secret-volume",
        ),
    )
    assert lines == ["644", "value-1"], f"the container read {lines}"


@standard_base(
    id="storage/downward-api-volume",
    conformance=[
        f"{SIG} Downward API volume should provide podname only [Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_downward_api_volume(kube: Kube, kv_namespace: str) -> None:
    """A downward API volume shows the pod's own name in a file."""
    name = "downwardapi-volume-podname"
    volume = {
        "downwardAPI": {"items": [{"path": "podname", "fieldRef": {"fieldPath": "metadata.name"}}]}
    }
    lines = _read(kube, kv_namespace, _reader(name, "/etc/podinfo/podname", volume, "/etc/podinfo"))
    assert lines == ["644", name], f"the container read {lines}"


@standard_base(
    id="storage/emptydir-shared",
    conformance=[
        f"{SIG} EmptyDir volumes pod should support shared volumes between containers [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_emptydir_shared(kube: Kube, kv_namespace: str) -> None:
    """Two containers of a pod share an emptyDir volume: what one writes the other reads."""
    mount = [{"name": "shared-data", "mountPath": "/usr/share/volumeshare"}]
    message = "Hello from the busy-box sub-container"
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            "pod-sharedvolume",
            None,
            b.container(
                "busybox-main-container",
                image=b.BUSYBOX_IMAGE,
                command=["/bin/sh", "-c", "sleep 600"],
                volumeMounts=mount,
            ),
            b.container(
                "busybox-sub-container",
                image=b.BUSYBOX_IMAGE,
                command=[
                    "/bin/sh",
                    "-c",
                    f"echo '{message}' > /usr/share/volumeshare/shareddata.txt; sleep 600",
                ],
                volumeMounts=mount,
            ),
            volumes=[{"name": "shared-data", "emptyDir": {}}],
        ),
    )
    wait_running_ready(kube, kv_namespace, "pod-sharedvolume", 60)
    wait_for(
        "the main container to read what the sub-container wrote",
        lambda: (
            exec_in(
                kube,
                kv_namespace,
                "pod-sharedvolume",
                ["/bin/sh", "-c", "cat /usr/share/volumeshare/shareddata.txt"],
                "busybox-main-container",
            )
            == message + "\n"
        ),
        30,
    )
