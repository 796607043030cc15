"""node: pods are submitted and removed, run, log, exec, probe and report termination messages.

All but the first need a real kubelet: simulated nodes report pods Running without running them.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import list_nodes
from conformance.standard_base.nodes import not_ready_reason
from conformance.standard_base.workloads import (
    exec_in,
    logs,
    pod_ready,
    wait_pod,
    wait_running_ready,
)
from kubeadm_verify.runner import WARNING_PROPERTY

SIG = "[sig-node]"


@standard_base(
    id="node/pod-submit-remove",
    conformance=[f"{SIG} Pods should be submitted and removed [Conformance] [NodeConformance]"],
    needs=["nodes"],
    timeout=60,
)
def test_pod_submit_remove(kube: Kube, kv_namespace: str) -> None:
    """A pod is created, watched to Running, deleted gracefully, and is gone."""
    core = kube.core
    value = secrets.token_hex(6)
    selector = f"time={value}"
    name = f"pod-submit-remove-{value}"
    listed = core.list_namespaced_pod(kv_namespace, label_selector=selector)
    assert not listed.items, "pods match a label nobody has used yet"
    with kube.events(
        core.list_namespaced_pod,
        kv_namespace,
        timeout=50,
        label_selector=selector,
        resource_version=listed.metadata.resource_version,
    ) as watch:
        pod = b.pod(name, {"name": "foo", "time": value})
        pod["spec"]["terminationGracePeriodSeconds"] = 30  # the deletion must be graceful
        core.create_namespaced_pod(kv_namespace, pod)
        assert len(core.list_namespaced_pod(kv_namespace, label_selector=selector).items) == 1, (
            "the label selects not exactly the one pod created"
        )
        watch.expect("ADDED", name)
        wait_running_ready(kube, kv_namespace, name, 30)
        core.delete_namespaced_pod(name, kv_namespace, grace_period_seconds=30)
        while True:
            event = watch.next()
            assert event is not None, "the watch ended before the pod's deletion"
            if event["type"] == "DELETED":
                break
        last = event["object"]
        assert last["metadata"].get("deletionTimestamp"), "deleted without a deletionTimestamp"
        assert last["spec"].get("terminationGracePeriodSeconds"), "not a graceful deletion"
    assert not core.list_namespaced_pod(kv_namespace, label_selector=selector).items, (
        "the pod is still listed after its deletion"
    )


@standard_base(id="node/all-nodes-ready", needs=["nodes"], timeout=30)
def test_all_nodes_ready(
    kube: Kube, allowed_not_ready_nodes: int, record_property: Callable[[str, object], None]
) -> None:
    """Every Node the cluster lists is Ready: a node that registered and then lost its runtime,
    its network plugin or its kubelet is a fault, whatever still runs elsewhere.

    The upstream e2e suite refuses to start any spec otherwise (its ``AllNodesReady`` with
    ``--allowed-not-ready-nodes=0``); a node may take a moment to report, so 20 s are allowed.
    Nodes within ``--allowed-not-ready-nodes`` (a node down for maintenance) pass with a
    warning that names them.
    """
    allowed: list[str] = []

    def every_node_ready() -> bool:
        nodes = list_nodes(kube)
        assert nodes, "the cluster lists no Node"
        said = [f"{n.metadata.name} {why}" for n in nodes if (why := not_ready_reason(n))]
        assert len(said) <= allowed_not_ready_nodes, (
            f"{len(said)} of {len(nodes)} nodes not Ready"
            + (f" ({allowed_not_ready_nodes} allowed)" if allowed_not_ready_nodes else "")
            + ": "
            + "; ".join(said[:5])
        )
        allowed[:] = said
        return True

    wait_for("every Node to be Ready", every_node_ready, 20)
    if allowed:
        record_property(
            WARNING_PROPERTY,
            f"{len(allowed)} node(s) not Ready, within --allowed-not-ready-nodes "
            f"{allowed_not_ready_nodes}: " + "; ".join(allowed[:5]),
        )


@standard_base(id="node/pod-runs-to-completion", needs=["real-kubelet"], timeout=90)
def test_pod_runs_to_completion(kube: Kube, kv_namespace: str) -> None:
    """A container that exits 0 runs on a real node and the pod ends Succeeded."""
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            "runs",
            None,
            b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", "exit 0"]),
            restartPolicy="Never",
        ),
    )
    pod = wait_pod(kube, kv_namespace, "runs", ("Succeeded",), 75)
    state = pod.status.container_statuses[0].state.terminated
    code = state.exit_code if state else "none (no terminated state)"
    assert state is not None and state.exit_code == 0, (
        f"the container ended with exit code {code}, not 0"
    )


@standard_base(
    id="node/logs",
    conformance=[
        f"{SIG} Kubelet when scheduling a busybox command in a pod should print the "
        "output to logs [Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_logs(kube: Kube, kv_namespace: str) -> None:
    """What a container prints reaches its log through the kubelet."""
    name = "busybox-scheduling"
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            name,
            None,
            b.container(
                name, image=b.BUSYBOX_IMAGE, command=["sh", "-c", "echo 'Hello World' ; sleep 240"]
            ),
            restartPolicy="Never",
        ),
    )
    wait_running_ready(kube, kv_namespace, name, 60)
    wait_for(
        "the container's output in its log",
        lambda: logs(kube, kv_namespace, name) == "Hello World\n",
        30,
    )


@standard_base(
    id="node/exec",
    conformance=[
        f"{SIG} Pods should support remote command execution over websockets "
        "[Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_exec(kube: Kube, kv_namespace: str) -> None:
    """A command runs inside a running container through the kubelet's exec, and its output comes
    back.
    """
    name = f"pod-exec-websocket-{secrets.token_hex(4)}"
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            name,
            None,
            b.container(
                image=b.BUSYBOX_IMAGE,
                command=["/bin/sh", "-c", "echo container is alive; sleep 600"],
            ),
        ),
    )
    wait_running_ready(kube, kv_namespace, name, 60)
    output = exec_in(kube, kv_namespace, name, ["echo", "remote execution test"], "main")
    assert output == "remote execution test\n", f"exec printed {output!r}"


@standard_base(id="node/probes", needs=["real-kubelet"], timeout=120)
def test_probes(kube: Kube, kv_namespace: str) -> None:
    """A passing readiness probe makes a pod Ready after its delay; a failing one never does,
    and a readiness probe never restarts a container."""

    def probed(name: str, command: str, delay: int) -> dict[str, object]:
        probe = {
            "exec": {"command": ["sh", "-c", command]},
            "initialDelaySeconds": delay,
            "periodSeconds": 1,
            "failureThreshold": 1,
        }
        return b.pod(
            name,
            None,
            b.container(
                image=b.BUSYBOX_IMAGE, command=["sh", "-c", "sleep 600"], readinessProbe=probe
            ),
        )

    kube.core.create_namespaced_pod(kv_namespace, probed("passes", "true", 5))
    kube.core.create_namespaced_pod(kv_namespace, probed("fails", "false", 0))
    ready = wait_running_ready(kube, kv_namespace, "passes", 75)
    started = ready.status.container_statuses[0].state.running.started_at
    became = next(c.last_transition_time for c in ready.status.conditions if c.type == "Ready")
    assert (became - started).total_seconds() >= 5, "Ready before the probe's initial delay"
    # under load the other pod may not run yet: Pending is no verdict on its probe
    failing = wait_pod(kube, kv_namespace, "fails", ("Running",), 20)
    assert not pod_ready(failing), "a pod whose readiness probe fails is Ready"
    assert failing.status.container_statuses[0].restart_count == 0, "readiness restarted it"


@standard_base(
    id="node/termination-message",
    conformance=[
        f"{SIG} Container Runtime blackbox test on terminated container should report "
        "termination message from log output if TerminationMessagePolicy "
        "FallbackToLogsOnError is set [Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=90,
)
def test_termination_message(kube: Kube, kv_namespace: str) -> None:
    """A failed container's last log line becomes its termination message
    (FallbackToLogsOnError)."""
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            "termination",
            None,
            b.container(
                image=b.BUSYBOX_IMAGE,
                command=["/bin/sh", "-c", "printf DONE; exit 1"],
                terminationMessagePolicy="FallbackToLogsOnError",
            ),
            restartPolicy="Never",
        ),
    )
    pod = wait_pod(kube, kv_namespace, "termination", ("Failed",), 75)
    terminated = pod.status.container_statuses[0].state.terminated
    code = terminated.exit_code if terminated else "none (no terminated state)"
    assert terminated is not None and terminated.exit_code == 1, (
        f"the container ended with exit code {code}, not 1"
    )
    assert terminated.message == "DONE", f"termination message {terminated.message!r}"
