"""node: what a running pod can still be given, and what can be read of it: ephemeral
containers, added through the pod's ``ephemeralcontainers`` subresource and started by its
kubelet next to the pod's own; its containers' logs as ``kubectl logs`` filters them.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.kubectl import Kubectl
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import exec_in, logs, wait_running_ready

SIG = "[sig-node] Ephemeral Containers"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _ephemeral_running(kube: Kube, namespace: str, pod: str, container: str) -> Any:
    found = kube.core.read_namespaced_pod(pod, namespace)
    for status in found.status.ephemeral_container_statuses or []:
        if status.name == container:
            assert status.state and status.state.running, (
                f"ephemeral container {container} is not running: {status.state}"
            )
            return found
    raise AssertionError(f"pod {pod} reports no status for ephemeral container {container}")


@standard_base(
    id="node/ephemeral-containers",
    conformance=[
        f"{SIG} will start an ephemeral container in an existing pod [Conformance] "
        "[NodeConformance]",
        f"{SIG} should update the ephemeral containers in an existing pod [Conformance] "
        "[NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=13,
)
def test_ephemeral_containers(kube: Kube, kv_namespace: str) -> None:
    """An ephemeral container patched into a running pod (its generation goes from 1 to 2) is
    started by the kubelet: a command runs in it, its own output reaches its log. The
    subresource lists it alone; a second one, added by an update of the subresource, makes two."""
    core, name = kube.core, "ephemeral-containers-target-pod"
    target = b.container("test-container-1", image=b.BUSYBOX_IMAGE, command=["/bin/sleep"])
    target["args"] = ["10000"]
    core.create_namespaced_pod(kv_namespace, b.pod(name, None, target))
    pod = wait_running_ready(kube, kv_namespace, name, 10)
    assert pod.metadata.generation == 1, f"a new pod's generation is {pod.metadata.generation}"

    debugger = {
        "name": "debugger",
        "image": b.BUSYBOX_IMAGE,
        "command": ["/bin/sh", "-c", "while true; do echo polo; sleep 2; done"],
        "stdin": True,
        "tty": True,
    }
    core.patch_namespaced_pod_ephemeralcontainers(
        name, kv_namespace, {"spec": {"ephemeralContainers": [debugger]}}
    )
    pod = wait_for(
        "the ephemeral container to run",
        lambda: _ephemeral_running(kube, kv_namespace, name, "debugger"),
        20,
    )
    assert pod.metadata.generation == 2, (
        f"adding an ephemeral container left the generation at {pod.metadata.generation}, not 2"
    )
    said = exec_in(kube, kv_namespace, name, ["/bin/echo", "marco"], container="debugger")
    assert "marco" in said, "a command run in the ephemeral container did not answer"
    wait_for(
        "the ephemeral container's own output in its log",
        lambda: "polo" in logs(kube, kv_namespace, name, "debugger"),
        15,
    )

    listed = core.read_namespaced_pod_ephemeralcontainers(name, kv_namespace)
    names = [c.name for c in listed.spec.ephemeral_containers or []]
    assert names == ["debugger"], f"the subresource lists ephemeral containers {names}"
    listed.spec.ephemeral_containers.append(
        {
            "name": "debugger2",
            "image": b.AGNHOST_IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "terminationMessagePolicy": "File",
        }
    )
    core.replace_namespaced_pod_ephemeralcontainers(name, kv_namespace, listed)
    listed = core.read_namespaced_pod_ephemeralcontainers(name, kv_namespace)
    names = [c.name for c in listed.spec.ephemeral_containers or []]
    assert names == ["debugger", "debugger2"], f"after the update: ephemeral containers {names}"


def _since_filters(kubectl: Kubectl, pod: str) -> bool:
    """The wider window is read first: the log only grows, so an ignored ``--since`` cannot pass."""
    older = len(kubectl.ok("logs", pod, pod, "--since=24h").split("\n"))
    recent = len(kubectl.ok("logs", pod, pod, "--since=1s").split("\n"))
    assert recent < older, f"--since=1s gave {recent} lines, --since=24h {older}"
    return True


@standard_base(
    id="node/kubectl-logs",
    conformance=[
        "[sig-cli] Kubectl logs logs should be able to retrieve and filter logs [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=25,
)
def test_kubectl_logs(kube: Kube, kv_namespace: str, kubectl: Kubectl | None) -> None:
    """The release's kubectl reads a running container's log through the API server and its
    kubelet, and filters it: ``--tail=1`` one line, ``--limit-bytes=1`` one byte,
    ``--timestamps`` an RFC 3339 time before the line, ``--since=1s`` fewer lines than
    ``--since=24h`` (agnhost's logs-generator writes 100 lines over 20 s)."""
    if kubectl is None:
        return  # not judged, and the fixture's warning says why: nothing made, nothing looked at
    name = "logs-generator"
    generator = b.container(
        name,
        image=b.AGNHOST_IMAGE,
        args=["logs-generator", "--log-lines-total", "100", "--run-duration", "20s"],
    )
    kube.core.create_namespaced_pod(
        kv_namespace, b.pod(name, None, generator, restartPolicy="Never")
    )
    wait_running_ready(kube, kv_namespace, name, 10)
    wait_for(
        "the generator's first request line in its log",
        lambda: "/api/v1/namespaces/kube-system" in logs(kube, kv_namespace, name, name),
        10,
    )

    def run(*flags: str) -> str:
        return kubectl.ok("logs", name, name, *flags)

    tail = run("--tail=1")
    assert len(tail.splitlines()) == 1 and tail.strip(), (
        f"--tail=1 gave {len(tail.splitlines())} lines"
    )
    one = run("--limit-bytes=1")
    assert len(one) == 1, f"--limit-bytes=1 gave {len(one)} bytes"
    stamped = run("--tail=1", "--timestamps").splitlines()
    assert len(stamped) == 1, f"--tail=1 --timestamps gave {len(stamped)} lines"
    words = stamped[0].split(" ")
    assert len(words) > 1 and RFC3339.match(words[0]), (
        f"--timestamps does not start the line with an RFC 3339 time: {words[0][:40]!r}"
    )
    wait_for(
        "--since=1s to give fewer lines than --since=24h",
        lambda: _since_filters(kubectl, name),
        10,
    )
