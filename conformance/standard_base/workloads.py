"""Waiting on pods and talking to their containers: phases, readiness, logs, exec.

Every helper takes a timeout; exec goes over the API server's websocket, as kubectl exec does.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from kubernetes.stream import stream
from kubernetes.utils.quantity import parse_quantity

from conformance.standard_base.kube import Kube, wait_for

K = TypeVar("K")


def pod_ready(pod: Any) -> bool:
    conditions = pod.status.conditions or [] if pod.status else []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def wait_pod(kube: Kube, namespace: str, name: str, phases: tuple[str, ...], timeout: float) -> Any:
    """The pod once its phase is one of ``phases`` (a terminal phase not asked for fails)."""

    def probe() -> Any:
        pod = kube.core.read_namespaced_pod(name, namespace)
        phase = pod.status.phase if pod.status else None
        if phase in phases:
            return pod
        assert phase not in ("Succeeded", "Failed"), f"pod {name} ended {phase}"
        raise AssertionError(f"pod {name} is {phase}")

    return wait_for(f"pod {name} to be {'/'.join(phases)}", probe, timeout)


def wait_running_ready(kube: Kube, namespace: str, name: str, timeout: float) -> Any:
    def probe() -> Any:
        pod = kube.core.read_namespaced_pod(name, namespace)
        assert pod.status and pod.status.phase == "Running", f"pod {name} is {pod.status.phase}"
        assert pod_ready(pod), f"pod {name} is Running but not Ready"
        return pod

    return wait_for(f"pod {name} to be Running and Ready", probe, timeout)


def wait_scheduled(kube: Kube, namespace: str, name: str, timeout: float) -> Any:
    def probe() -> Any:
        pod = kube.core.read_namespaced_pod(name, namespace)
        assert pod.spec.node_name, f"pod {name} is not bound: {scheduling_message(pod)}"
        return pod

    return wait_for(f"pod {name} to be bound to a node", probe, timeout)


def scheduling_message(pod: Any) -> str:
    for condition in pod.status.conditions or [] if pod.status else []:
        if condition.type == "PodScheduled":
            return f"{condition.reason}: {condition.message}"
    return "no PodScheduled condition yet"


def wait_unschedulable(kube: Kube, namespace: str, name: str, timeout: float) -> str:
    """The scheduler's message once it has marked the pod Unschedulable."""

    def probe() -> str | None:
        pod = kube.core.read_namespaced_pod(name, namespace)
        assert not pod.spec.node_name, f"pod {name} was bound to {pod.spec.node_name}"
        for condition in pod.status.conditions or [] if pod.status else []:
            if condition.type == "PodScheduled" and condition.reason == "Unschedulable":
                return str(condition.message or "")
        return None

    message: str = wait_for(f"the scheduler to find no node for pod {name}", probe, timeout)
    return message


def logs(kube: Kube, namespace: str, name: str, container: str | None = None) -> str:
    text: str = kube.core.read_namespaced_pod_log(
        name, namespace, container=container, _request_timeout=(5, 20)
    )
    return text


FINISHED_LOG_SETTLE_S = 15.0
"""How long an ended container's log may stay empty before it counts as empty: at a load of
20-36 on two cores, a container's output was still not in its log 10 s after it had run."""


END_OF_OUTPUT = "kubeadm-verify-end-of-output"
"""The line a container's script prints last (``ending``): a log that ends with it holds the
whole output. The runtime writes a log on its own time; under load a multi-line log was read
with only its first lines in it, after the container had ended."""


def ending(script: str) -> str:
    """``script`` (for ``sh -c``), then ``END_OF_OUTPUT``, ending with the script's own status."""
    return f"{script}\nstatus=$?\necho {END_OF_OUTPUT}\nexit $status"


def finished_logs(kube: Kube, namespace: str, name: str, container: str | None = None) -> str:
    """The log of a container that has ended (or has printed all it will): see
    ``finished_logs_of``."""
    return finished_logs_of(kube, namespace, {0: (name, container)})[0]


def finished_logs_of(
    kube: Kube,
    namespace: str,
    containers: Mapping[K, tuple[str, str | None]],
    *,
    ended: bool = False,
) -> dict[K, str]:
    """The logs of containers that have ended, each ``(pod, container)`` under the caller's key.
    The kubelet may report a container ended before the runtime has written its output to the
    log file (under load an empty log was read, and one stayed empty for 10 s; a multi-line one
    was read with its first lines only), so a log not yet whole is asked again, all within one
    ``FINISHED_LOG_SETTLE_S``. Whole means not empty, or with ``ended`` (containers that run an
    ``ending`` script) ending with ``END_OF_OUTPUT``, which is then taken off; a log that never
    is comes back as last read."""
    mark = f"{END_OF_OUTPUT}\n"
    found = dict.fromkeys(containers, "")

    def whole(text: str) -> bool:
        return text.endswith(mark) if ended else bool(text)

    def all_written() -> bool:
        for key, (pod, container) in containers.items():
            if not whole(found[key]):
                found[key] = logs(kube, namespace, pod, container)
        return all(whole(text) for text in found.values())

    with contextlib.suppress(AssertionError):
        wait_for("the containers' logs", all_written, FINISHED_LOG_SETTLE_S, interval=0.5)
    return {key: text.removesuffix(mark) for key, text in found.items()} if ended else found


def exec_in(
    kube: Kube,
    namespace: str,
    name: str,
    command: list[str],
    container: str | None = None,
    timeout: float = 20,
) -> str:
    """Run ``command`` in the container and return its stdout and stderr."""
    kwargs: dict[str, Any] = {
        "command": command,
        "stderr": True,
        "stdin": False,
        "stdout": True,
        "tty": False,
        "_request_timeout": timeout,
    }
    if container:
        kwargs["container"] = container
    output: str = stream(kube.core.connect_get_namespaced_pod_exec, name, namespace, **kwargs)
    return output


def allocatable_defaults(kube: Kube, node: str) -> dict[str, str]:
    """What the downward API gives a container that sets no limit, for ``limits.cpu`` (whole
    cores, rounded up, divisor 1) and ``limits.memory`` (bytes): its node's allocatable."""
    allocatable = kube.core.read_node(node).status.allocatable or {}
    return {
        "cpu": str(math.ceil(parse_quantity(allocatable["cpu"]))),
        "memory": str(int(parse_quantity(allocatable["memory"]))),
    }
