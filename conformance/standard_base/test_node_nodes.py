"""node, as only a real kubelet shows it, on every schedulable real node: containers that exit
are restarted with their exit status kept, a memory limit is enforced by the kernel, not only
recorded in the API, and the kubelet serves a container's log and runs commands in it.

Each test pins a pod to every schedulable real node (``conformance.standard_base.pernode``): a
kubelet or runtime that is set up wrong on one node of many fails the test, naming that node.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.pernode import (
    assert_every_node,
    failures,
    phase_in,
    place,
    pod_nodes,
    wait_every,
)
from conformance.standard_base.workloads import exec_in, logs

SIG = "[sig-node]"
EXIT_CODE = 3
RESTARTS = 2


def _statuses(pod: Any) -> dict[str, Any]:
    return {s.name: s for s in (pod.status.container_statuses or [] if pod.status else [])}


def _restarted(pod: Any, seen: list[int]) -> str | None:
    """None once the container has been restarted twice, its count never going down."""
    status = _statuses(pod).get("main")
    count = int(status.restart_count or 0) if status is not None else 0
    seen.append(count)
    if seen != sorted(seen):
        return f"the restart count went down: {seen}"
    return None if count >= RESTARTS else f"restarted {count} times"


def _last_exit(pod: Any) -> str | None:
    status = _statuses(pod).get("main")
    last = status.last_state.terminated if status is not None else None
    if last is None:
        return "a restarted container reports no last termination"
    if last.exit_code != EXIT_CODE:
        return f"the last termination's exit code is {last.exit_code}, not {EXIT_CODE}"
    if last.reason != "Error":
        return f"the last termination's reason is {last.reason!r}, not Error"
    return None


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
    """On every schedulable real node, a container that keeps exiting with status 3 under
    ``restartPolicy: Always`` is restarted (its restart count rises to 2, never down) and its
    last termination keeps exit code 3, reason Error."""
    placed = place(
        kube,
        kv_namespace,
        "exits",
        pod_nodes(kube),
        lambda name, _: b.pod(
            name,
            None,
            b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", f"exit {EXIT_CODE}"]),
        ),
    )
    seen: dict[str, list[int]] = {one.pod: [] for one in placed}
    pods = wait_every(
        kube,
        kv_namespace,
        placed,
        "the container to be restarted twice",
        lambda pod: _restarted(pod, seen[pod.metadata.name]),
        50,
    )
    assert_every_node(
        {one.node: _last_exit(pods[one.pod]) for one in placed},
        "a restarted container's last exit code and reason",
    )


def _memory(limit: str, command: str, name: str) -> b.Manifest:
    container = b.container(name, image=b.BUSYBOX_IMAGE, command=["sh", "-c", command])
    container["resources"] = {
        "requests": {"cpu": "10m", "memory": "16Mi"},
        "limits": {"memory": limit},
    }
    return container


def _limit_enforced(pod: Any) -> str | None:
    """The container over its limit was OOM-killed; the one within it completed."""
    statuses = _statuses(pod)
    if set(statuses) != {"hog", "bounded"}:
        return f"the pod ended {pod.status.phase} with containers {sorted(statuses)}"
    hog = statuses["hog"].state.terminated
    if hog is None or hog.reason != "OOMKilled" or hog.exit_code != 137:
        said = f"reason {hog.reason!r}, exit code {hog.exit_code}" if hog else "no termination"
        return f"the container over its memory limit ended with {said}, not OOMKilled (137)"
    bounded = statuses["bounded"].state.terminated
    if bounded is None or bounded.exit_code != 0:
        said = f"{bounded.reason} ({bounded.exit_code})" if bounded else "no termination"
        return f"an 8 MiB allocation under the same 32Mi limit did not complete: {said}"
    return None


OOM_AFTER_S = 5
"""How long the container over its limit waits before it allocates, as upstream's node e2e
waits (``oomkiller_linux_test.go``: ``sleep 5 && dd ...``): on cgroup v1 containerd watches a
container's memory cgroup for OOM events only once the task has started, and a container the
kernel kills before then ends with reason ``Error``, not ``OOMKilled``."""


@standard_base(id="node/memory-limit-enforced", needs=["real-kubelet"], timeout=45)
def test_memory_limit_enforced(kube: Kube, kv_namespace: str) -> None:
    """On every schedulable real node, a container that allocates without end under a 32Mi
    memory limit is killed by the kernel (terminated reason OOMKilled, exit code 137), while a
    container beside it under the same limit that allocates a bounded 8 MiB completes: the
    limit reaches each container's cgroup."""
    placed = place(
        kube,
        kv_namespace,
        "memory",
        pod_nodes(kube),
        lambda name, _: b.pod(
            name,
            None,
            _memory("32Mi", f"sleep {OOM_AFTER_S} && tail /dev/zero", "hog"),
            _memory("32Mi", "head -c 8388608 /dev/zero | tail", "bounded"),
            restartPolicy="Never",
        ),
    )
    pods = wait_every(
        kube, kv_namespace, placed, "both containers to end", phase_in("Failed", "Succeeded"), 35
    )
    assert_every_node(
        {one.node: _limit_enforced(pods[one.pod]) for one in placed}, "a memory limit enforced"
    )


@standard_base(id="node/exec-and-logs-every-node", needs=["real-kubelet"], timeout=25)
def test_exec_and_logs_every_node(kube: Kube, kv_namespace: str) -> None:
    """On every schedulable real node, what a container prints reaches its log through the
    kubelet, and a command run in the container through the API server's exec (the kubelet's
    streaming server) prints what it was given."""
    token = secrets.token_hex(6)
    placed = place(
        kube,
        kv_namespace,
        "streams",
        pod_nodes(kube),
        lambda name, _: b.pod(
            name,
            None,
            b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", f"echo {token}; sleep 600"]),
        ),
    )
    wait_every(kube, kv_namespace, placed, "the container to run", phase_in("Running"), 12)
    said: dict[str, str | None] = {}

    def every_log() -> bool:
        for one in placed:
            got = logs(kube, kv_namespace, one.pod)
            said[one.node] = None if got == f"{token}\n" else f"its log holds {got[:80]!r}"
        assert not failures(said), failures(said)
        return True

    wait_for(f"the log of a container on every node to hold {token}", every_log, 8)
    echoed = {one.node: exec_in(kube, kv_namespace, one.pod, ["echo", one.node]) for one in placed}
    assert_every_node(
        {
            node: None if out == f"{node}\n" else f"exec printed {out[:80]!r}"
            for node, out in echoed.items()
        },
        "a command run through exec",
    )
