"""node: a running container's CPU and memory are resized in place, through the pod's ``resize``
subresource, and the new values reach the container's cgroup without a restart.

The kubelet of v1.37 resizes in place on cgroup v1 as on v2 (only a memory-backed ``emptyDir``'s
size is refused on v1: ``pkg/kubelet/allocation/handlers.go``), so the test reads whichever
hierarchy the container sees.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from typing import Any

from kubernetes.utils.quantity import parse_quantity

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import exec_in, pod_ready, wait_running_ready

SIG = "[sig-node]"
ORIGINAL = {
    "requests": {"cpu": "20m", "memory": "35Mi"},
    "limits": {"cpu": "40m", "memory": "64Mi"},
}
RESIZED = {"requests": {"cpu": "25m", "memory": "40Mi"}, "limits": {"cpu": "50m", "memory": "80Mi"}}
CFS_PERIOD_US = 100_000
# What the container sees of its own cgroup, cgroup v1 (runc binds the container's own cgroup
# directories) or v2; a file that is not there prints nothing.
CGROUP_SCRIPT = (
    "for f in /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
    "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu.max "
    '/sys/fs/cgroup/memory.max; do [ -f $f ] && echo "$f $(cat $f)"; done; true'
)


def expected_cgroup(resources: dict[str, dict[str, str]]) -> dict[str, str]:
    """The cgroup values the kubelet sets for these requests and limits, v1 and v2 alike
    (``cpu.shares`` is milli-CPU × 1024 / 1000, the quota is limit × the 100 ms period)."""
    cpu_limit = parse_quantity(resources["limits"]["cpu"])
    quota = int(cpu_limit * CFS_PERIOD_US)
    memory = str(int(parse_quantity(resources["limits"]["memory"])))
    shares = int(parse_quantity(resources["requests"]["cpu"]) * 1000) * 1024 // 1000
    return {
        "/sys/fs/cgroup/cpu/cpu.shares": str(shares),
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": str(quota),
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": memory,
        "/sys/fs/cgroup/cpu.max": f"{quota} {CFS_PERIOD_US}",
        "/sys/fs/cgroup/memory.max": memory,
    }


def cgroup_values(output: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in output.splitlines() if " " in line)


def _same(got: Any, want: dict[str, dict[str, str]]) -> bool:
    """Resource requirements (the client's model) equal to ``want``, quantities compared."""
    if got is None:
        return False
    for kind in ("requests", "limits"):
        have = getattr(got, kind) or {}
        if {k: parse_quantity(v) for k, v in have.items()} != {
            k: parse_quantity(v) for k, v in want[kind].items()
        }:
            return False
    return True


def _settled(pod: Any) -> str | None:
    """None once the kubelet has acted on the resize: generation observed, no resize condition
    left, Ready, the container's status showing the new resources."""
    if (pod.status.observed_generation or 0) < pod.metadata.generation:
        return (
            f"observedGeneration {pod.status.observed_generation} < generation "
            f"{pod.metadata.generation}"
        )
    pending = [
        c.type
        for c in pod.status.conditions or []
        if c.type in ("PodResizePending", "PodResizeInProgress")
    ]
    if pending:
        reasons = [
            f"{c.type}: {c.reason} {c.message}" for c in pod.status.conditions if c.type in pending
        ]
        return f"resize conditions {reasons}"
    if not pod_ready(pod):
        return "the pod is not Ready"
    status = pod.status.container_statuses[0]
    if not _same(status.resources, RESIZED):
        return f"the container's status shows {status.resources}"
    return None


@standard_base(
    id="node/in-place-resize",
    conformance=[
        f"{SIG} Pod InPlace Resize Container resize pod via the replace endpoint "
        "[MinimumKubeletVersion:1.34] [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=35,
)
def test_in_place_resize(kube: Kube, kv_namespace: str) -> None:
    """A running container's CPU and memory requests and limits, replaced through the pod's
    ``resize`` subresource, become the pod's spec at once (generation 1 to 2), then its status
    once the kubelet has resized it, with no restart; the container's cgroup holds the new CPU
    shares, CPU quota and memory limit; the ``resize`` subresource reads the same pod."""
    name = "resize"
    container = b.container("c1", image=b.BUSYBOX_IMAGE, command=["sleep", "600"])
    container["resources"] = ORIGINAL
    kube.core.create_namespaced_pod(kv_namespace, b.pod(name, None, container))
    pod = wait_running_ready(kube, kv_namespace, name, 15)
    assert pod.metadata.generation == 1, f"a new pod's generation is {pod.metadata.generation}"
    before = cgroup_values(exec_in(kube, kv_namespace, name, ["sh", "-c", CGROUP_SCRIPT]))
    wrong = {f: v for f, v in before.items() if expected_cgroup(ORIGINAL)[f] != v}
    assert before and not wrong, f"the cgroup before the resize: {before or 'nothing read'}"

    replacement = kube.core.read_namespaced_pod(name, kv_namespace)
    replacement.spec.containers[0].resources = RESIZED
    kube.core.replace_namespaced_pod_resize(name, kv_namespace, replacement)
    updated = kube.core.read_namespaced_pod(name, kv_namespace)
    assert _same(updated.spec.containers[0].resources, RESIZED), "the spec was not resized"
    assert updated.metadata.generation == 2, (
        f"the resized pod's generation is {updated.metadata.generation}, not 2"
    )

    resized = wait_for(
        "the kubelet to resize the container", lambda: _settled_pod(kube, kv_namespace, name), 15
    )
    assert resized.status.container_statuses[0].restart_count == 0, "the container restarted"
    after = cgroup_values(exec_in(kube, kv_namespace, name, ["sh", "-c", CGROUP_SCRIPT]))
    wrong = {f: v for f, v in after.items() if expected_cgroup(RESIZED)[f] != v}
    assert after and not wrong, (
        f"the cgroup after the resize holds {wrong or 'nothing'}; wanted "
        f"{ {f: expected_cgroup(RESIZED)[f] for f in after} }"
    )
    via = kube.core.read_namespaced_pod_resize(name, kv_namespace)
    assert (via.metadata.generation, via.metadata.uid) == (
        resized.metadata.generation,
        resized.metadata.uid,
    ) and _same(via.spec.containers[0].resources, RESIZED), (
        "the resize subresource reads another pod than the pod's own endpoint"
    )


def _settled_pod(kube: Kube, namespace: str, name: str) -> Any:
    pod = kube.core.read_namespaced_pod(name, namespace)
    why = _settled(pod)
    assert why is None, why
    return pod
