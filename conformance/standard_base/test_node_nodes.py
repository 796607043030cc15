"""node, as only a real kubelet shows it: containers that exit are restarted with their exit
status kept, and a memory limit is enforced by the kernel, not only recorded in the API.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import wait_pod

SIG = "[sig-node]"
EXIT_CODE = 3


def _status(kube: Kube, namespace: str, name: str) -> Any:
    statuses = kube.core.read_namespaced_pod(name, namespace).status.container_statuses or []
    return statuses[0] if statuses else None


@standard_base(
    id="node/container-restart",
    conformance=[
        f"{SIG} Container Runtime blackbox test when starting a container that exits should run "
        "with the expected status [Conformance] [NodeConformance]",
        f"{SIG} Kubelet when scheduling a busybox command that always fails in a pod should have "
        "an terminated reason [Conformance] [NodeConformance]",
        f"{SIG} Probing container should have monotonically increasing restart count "
        "[Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=60,
)
def test_container_restart(kube: Kube, kv_namespace: str) -> None:
    """A container that keeps exiting with status 3 under ``restartPolicy: Always`` is restarted
    (its restart count rises past 1) and its last termination keeps exit code 3, reason Error."""
    kube.core.create_namespaced_pod(kv_namespace, b.pod("exits", None, b.container(
        image=b.BUSYBOX_IMAGE, command=["sh", "-c", f"exit {EXIT_CODE}"])))
    seen: list[int] = []

    def restarted_twice() -> bool:
        status = _status(kube, kv_namespace, "exits")
        if status is None:
            return False
        seen.append(int(status.restart_count or 0))
        return seen[-1] >= 2

    wait_for("the container to be restarted twice", restarted_twice, 50)
    assert seen == sorted(seen), f"the restart count went down: {seen}"
    last = _status(kube, kv_namespace, "exits").last_state.terminated
    assert last is not None, "a restarted container reports no last termination"
    assert last.exit_code == EXIT_CODE, (
        f"the last termination's exit code is {last.exit_code}, not {EXIT_CODE}")
    assert last.reason == "Error", f"the last termination's reason is {last.reason!r}, not Error"


@standard_base(id="node/memory-limit-enforced", needs=["real-kubelet"], timeout=45)
def test_memory_limit_enforced(kube: Kube, kv_namespace: str) -> None:
    """A container that allocates without end under a 32Mi memory limit is killed by the kernel
    (terminated reason OOMKilled, exit code 137), while the same program without a limit on
    its allocation (it reads a bounded file) completes: the limit reaches the cgroup."""
    hog = b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", "tail /dev/zero"])
    hog["resources"] = {"requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"memory": "32Mi"}}
    kube.core.create_namespaced_pod(kv_namespace, b.pod("hog", None, hog,
                                                        restartPolicy="Never"))
    bounded = b.container(image=b.BUSYBOX_IMAGE,
                          command=["sh", "-c", "head -c 8388608 /dev/zero | tail"])
    bounded["resources"] = hog["resources"]
    kube.core.create_namespaced_pod(kv_namespace, b.pod("bounded", None, bounded,
                                                        restartPolicy="Never"))
    pod = wait_pod(kube, kv_namespace, "hog", ("Failed", "Succeeded"), 30)
    ended = pod.status.container_statuses[0].state.terminated
    assert ended is not None, "the container did not terminate"
    assert ended.reason == "OOMKilled", (
        f"the container over its memory limit ended with reason {ended.reason!r} "
        f"(exit code {ended.exit_code}), not OOMKilled")
    assert ended.exit_code == 137, f"exit code {ended.exit_code}, not 137 (SIGKILL)"
    done = wait_pod(kube, kv_namespace, "bounded", ("Succeeded", "Failed"), 10)
    assert done.status.phase == "Succeeded", (
        "an 8 MiB allocation under the same 32Mi limit did not complete: "
        f"{done.status.container_statuses[0].state.terminated.reason}")
