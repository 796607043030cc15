"""storage: projected volumes, as the kubelet writes them into a pod: ConfigMap keys, Secret keys
and downward API fields in one volume or many, under their own names or mapped to paths, with
the default file mode, a volume's ``defaultMode`` or an item's ``mode``, readable by root and,
where the mode allows it, by another user.

One pod shows it all: a container reads every file (its path, mode and content, one line each),
another reads some as uid 1000. Upstream's specs run a pod each; what each asserts of the file
it reads is asserted here of the same kind of file.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else (the Secret's
values here are made up for the test).
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import allocatable_defaults, logs, wait_pod

SIG = "[sig-storage]"
SOURCE = "projected-source"
CONFIG = {"data-1": "value-1", "data-2": "value-2", "data-3": "value-3"}
SECRET = {"data-1": "secret-value-1", "data-2": "secret-value-2"}
READ = 'for f in "$@"; do echo "$f $(stat -L -c %a "$f") $(cat "$f")"; done'
NON_ROOT = 1000


def _dapi(
    path: str,
    field: str | None = None,
    resource: str | None = None,
    container: str = "reader",
    **extra: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {"path": path, **extra}
    if field:
        item["fieldRef"] = {"apiVersion": "v1", "fieldPath": field}
    if resource:
        item["resourceFieldRef"] = {"containerName": container, "resource": resource}
    return item


def _volume(name: str, *sources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "projected": {"sources": list(sources), **extra}}


def _config(**extra: Any) -> dict[str, Any]:
    return {"configMap": {"name": SOURCE, **extra}}


def _secret(**extra: Any) -> dict[str, Any]:
    return {"secret": {"name": SOURCE, **extra}}


VOLUMES = [
    _volume(
        "all",
        {
            "downwardAPI": {
                "items": [
                    _dapi("podname", "metadata.name"),
                    _dapi("cpu_limit", resource="limits.cpu"),
                    _dapi("cpu_request", resource="requests.cpu"),
                    _dapi("memory_limit", resource="limits.memory"),
                    _dapi("memory_request", resource="requests.memory"),
                ]
            }
        },
        _secret(items=[{"key": "data-1", "path": "secret-data"}]),
        _config(items=[{"key": "data-1", "path": "configmap-data"}]),
    ),
    _volume("cm", _config()),
    _volume("cm-again", _config()),
    _volume("cm-mode", _config(), defaultMode=0o400),
    _volume(
        "cm-mapped",
        _config(
            items=[
                {"key": "data-2", "path": "path/to/data-2"},
                {"key": "data-3", "path": "path/to/data-3", "mode": 0o400},
            ]
        ),
    ),
    _volume("secret", _secret()),
    _volume("secret-again", _secret()),
    _volume("secret-mode", _secret(), defaultMode=0o400),
    _volume(
        "secret-mapped",
        _secret(
            items=[
                {"key": "data-1", "path": "new-path-data-1"},
                {"key": "data-2", "path": "new-path-data-2", "mode": 0o400},
            ]
        ),
    ),
    _volume(
        "dapi-mode",
        {"downwardAPI": {"items": [_dapi("podname", "metadata.name")]}},
        defaultMode=0o400,
    ),
    _volume(
        "dapi-item-mode",
        {"downwardAPI": {"items": [_dapi("podname", "metadata.name", mode=0o400)]}},
    ),
    _volume(
        "dapi-defaults",
        {
            "downwardAPI": {
                "items": [
                    _dapi("cpu_limit", resource="limits.cpu", container="no-limits"),
                    _dapi("memory_limit", resource="limits.memory", container="no-limits"),
                ]
            }
        },
    ),
]
NON_ROOT_VOLUMES = ("cm", "cm-mapped")


def _mounts(names: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"name": name, "mountPath": f"/{name}", "readOnly": True} for name in names]


def _pod(
    name: str, wanted: dict[str, tuple[str, str]], non_root: dict[str, tuple[str, str]]
) -> b.Manifest:
    reader = b.container(
        "reader",
        image=b.BUSYBOX_IMAGE,
        command=["sh", "-c", READ, "sh", *wanted],
        volumeMounts=_mounts([str(v["name"]) for v in VOLUMES]),
    )
    reader["resources"] = {
        "requests": {"cpu": "250m", "memory": "32Mi"},
        "limits": {"cpu": "1250m", "memory": "64Mi"},
    }
    other = b.container(
        "non-root",
        image=b.BUSYBOX_IMAGE,
        command=["sh", "-c", READ, "sh", *non_root],
        volumeMounts=_mounts(NON_ROOT_VOLUMES),
        securityContext={"runAsUser": NON_ROOT},
    )
    bare = b.container("no-limits", image=b.BUSYBOX_IMAGE, command=["true"])
    del bare["resources"]  # the downward API gives the node's allocatable for its limits
    return b.pod(name, None, reader, other, bare, restartPolicy="Never", volumes=VOLUMES)


def read_back(output: str) -> dict[str, tuple[str, str]]:
    """``{path: (mode, content)}`` from :data:`READ`'s lines."""
    found: dict[str, tuple[str, str]] = {}
    for line in output.splitlines():
        path, mode, content = [*line.split(" ", 2), "", ""][:3]
        found[path] = (mode, content)
    return found


def _wanted(name: str, defaults: dict[str, str] | None) -> dict[str, tuple[str, str]]:
    """Each file the reader reads: the mode (octal) and content it must have; the defaults'
    files are known once the node is."""
    wanted = {
        "/all/podname": ("644", name),
        "/all/cpu_limit": ("644", "2"),
        "/all/cpu_request": ("644", "1"),
        "/all/memory_limit": ("644", str(64 << 20)),
        "/all/memory_request": ("644", str(32 << 20)),
        "/all/secret-data": ("644", SECRET["data-1"]),
        "/all/configmap-data": ("644", CONFIG["data-1"]),
        "/cm/data-1": ("644", CONFIG["data-1"]),
        "/cm-again/data-1": ("644", CONFIG["data-1"]),
        "/cm-mode/data-1": ("400", CONFIG["data-1"]),
        "/cm-mapped/path/to/data-2": ("644", CONFIG["data-2"]),
        "/cm-mapped/path/to/data-3": ("400", CONFIG["data-3"]),
        "/secret/data-1": ("644", SECRET["data-1"]),
        "/secret-again/data-1": ("644", SECRET["data-1"]),
        "/secret-mode/data-1": ("400", SECRET["data-1"]),
        "/secret-mapped/new-path-data-1": ("644", SECRET["data-1"]),
        "/secret-mapped/new-path-data-2": ("400", SECRET["data-2"]),
        "/dapi-mode/podname": ("400", name),
        "/dapi-item-mode/podname": ("400", name),
        "/dapi-defaults/cpu_limit": ("644", ""),
        "/dapi-defaults/memory_limit": ("644", ""),
    }
    if defaults is not None:
        wanted["/dapi-defaults/cpu_limit"] = ("644", defaults["cpu"])
        wanted["/dapi-defaults/memory_limit"] = ("644", defaults["memory"])
    return wanted


NON_ROOT_WANTED = {
    "/cm/data-1": ("644", CONFIG["data-1"]),
    "/cm-mapped/path/to/data-2": ("644", CONFIG["data-2"]),
}


@standard_base(
    id="storage/projected-volumes",
    conformance=[
        f"{SIG} Projected combined should project all components that make up the projection "
        "API [Projection] [Conformance] [NodeConformance]",
        *(
            f"{SIG} Projected configMap {spec} [Conformance] [NodeConformance]"
            for spec in (
                "should be consumable from pods in volume",
                "should be consumable from pods in volume with defaultMode set [LinuxOnly]",
                "should be consumable from pods in volume as non-root",
                "should be consumable from pods in volume with mappings",
                "should be consumable from pods in volume with mappings and Item mode set "
                "[LinuxOnly]",
                "should be consumable from pods in volume with mappings as non-root",
                "should be consumable in multiple volumes in the same pod",
            )
        ),
        *(
            f"{SIG} Projected secret {spec} [Conformance] [NodeConformance]"
            for spec in (
                "should be consumable from pods in volume",
                "should be consumable from pods in volume with defaultMode set [LinuxOnly]",
                "should be consumable from pods in volume with mappings",
                "should be consumable from pods in volume with mappings and Item Mode set "
                "[LinuxOnly]",
                "should be consumable in multiple volumes in a pod",
            )
        ),
        *(
            f"{SIG} Projected downwardAPI {spec} [Conformance] [NodeConformance]"
            for spec in (
                "should provide podname only",
                "should provide container's cpu limit",
                "should provide container's memory limit",
                "should provide container's cpu request",
                "should provide container's memory request",
                "should set DefaultMode on files [LinuxOnly]",
                "should set mode on item file [LinuxOnly]",
                "should provide node allocatable (cpu) as default cpu limit if the limit is not "
                "set",
                "should provide node allocatable (memory) as default memory limit if the limit is "
                "not set",
            )
        ),
    ],
    needs=["real-kubelet"],
    timeout=30,
)
def test_projected_volumes(kube: Kube, kv_namespace: str) -> None:
    """Projected volumes hold, with mode 0644 unless told otherwise: in one volume, the pod's
    name, the container's CPU and memory limits and requests (whole cores rounded up, bytes), a
    Secret's key and a ConfigMap's key; a ConfigMap's and a Secret's keys under their own names
    (also in a second volume of the same pod), with a volume's ``defaultMode`` 0400, or mapped
    to other paths with and without an item's ``mode`` 0400; the pod's name with a volume's
    ``defaultMode`` 0400 and with an item's ``mode`` 0400; the node's allocatable CPU and
    memory for a container without limits. A container running as uid 1000 reads the 0644
    ConfigMap files too, under their names and mapped."""
    name = "projected"
    kube.core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": SOURCE}, "data": CONFIG}
    )
    kube.core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": SOURCE}, "stringData": SECRET}
    )
    kube.core.create_namespaced_pod(kv_namespace, _pod(name, _wanted(name, None), NON_ROOT_WANTED))
    pod = wait_pod(kube, kv_namespace, name, ("Succeeded", "Failed"), 25)
    wanted = _wanted(name, allocatable_defaults(kube, pod.spec.node_name))
    wrong = {}
    for container, want in (("reader", wanted), ("non-root", NON_ROOT_WANTED)):
        got = read_back(logs(kube, kv_namespace, name, container))
        wrong.update(
            {
                f"{container} {path}": got.get(path)
                for path, mode_content in want.items()
                if got.get(path) != mode_content
            }
        )
    assert not wrong, (
        f"on node {pod.spec.node_name}, files not as projected (mode, content): {wrong}"
    )
    assert pod.status.phase == "Succeeded", f"the pod ended {pod.status.phase}"
