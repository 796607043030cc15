"""node: a pod's life as the kubelet runs it: init containers each to completion, in order,
before any app container (and none when one fails), and the hooks a container declares, run
after it starts and before it stops.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import finished_logs_of, logs, wait_pod, wait_running_ready

SIG = "[sig-node]"
WORK = [{"name": "work", "mountPath": "/work"}]
HANDLER_PORT = 8080
GRACE_S = 15


def _step(name: str, script: str) -> b.Manifest:
    return b.container(name, image=b.BUSYBOX_IMAGE, command=["sh", "-c", script], volumeMounts=WORK)


def _init_pod(name: str, restart: str, second_init: str, app: str) -> b.Manifest:
    """``init1`` and ``init2`` write their names to a shared file in turn (``second_init`` is
    what ``init2`` runs after), then ``run1`` runs ``app``."""
    return b.pod(
        name,
        None,
        _step("run1", app),
        restartPolicy=restart,
        initContainers=[
            _step("init1", "echo init1 >> /work/order"),
            _step("init2", f"echo init2 >> /work/order && {second_init}"),
        ],
        volumes=[{"name": "work", "emptyDir": {}}],
    )


def _inits_done(pod: Any) -> str | None:
    """None when the Initialized condition is True and both init containers ended 0, Ready."""
    conditions = {c.type: c.status for c in pod.status.conditions or []}
    if conditions.get("Initialized") != "True":
        return f"Initialized is {conditions.get('Initialized')}"
    statuses = pod.status.init_container_statuses or []
    if [s.name for s in statuses] != ["init1", "init2"]:
        return f"init container statuses {[s.name for s in statuses]}"
    for status in statuses:
        ended = status.state.terminated
        if ended is None or ended.exit_code != 0 or not status.ready:
            return f"{status.name} did not end 0 and Ready: {status.state}"
    return None


def _app_waits(event: dict[str, Any]) -> str | None:
    """Against an event of the pod with a failing init container: an app container that left
    Waiting (PodInitializing), or None."""
    for status in event["object"].get("status", {}).get("containerStatuses") or []:
        waiting = status.get("state", {}).get("waiting")
        if waiting is None or waiting.get("reason") != "PodInitializing":
            return f"app container {status['name']} left PodInitializing: {status['state']}"
    return None


def _failed_without_app(kube: Kube, namespace: str, name: str, timeout: int) -> Any:
    """Watch the pod to its end: its app container never leaves Waiting; the pod ends Failed."""
    with kube.events(
        kube.core.list_namespaced_pod,
        namespace,
        timeout=timeout,
        field_selector=f"metadata.name={name}",
    ) as watch:
        while True:
            event = watch.next()
            assert event is not None, f"pod {name} did not end within {timeout}s"
            started = _app_waits(event)
            assert started is None, started
            if event["object"].get("status", {}).get("phase") in ("Failed", "Succeeded"):
                break
    pod = kube.core.read_namespaced_pod(name, namespace)
    assert pod.status.phase == "Failed", f"pod {name} ended {pod.status.phase}, not Failed"
    return pod


@standard_base(
    id="node/init-containers",
    conformance=[
        f"{SIG} InitContainer should invoke init containers on a RestartNever pod [Conformance] "
        "[NodeConformance]",
        f"{SIG} InitContainer should invoke init containers on a RestartAlways pod "
        "[Conformance] [NodeConformance]",
        f"{SIG} InitContainer should not start app containers and fail the pod if init "
        "containers fail on a RestartNever pod [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=40,
)
def test_init_containers(kube: Kube, kv_namespace: str) -> None:
    """Init containers run one after the other, each to exit 0, before the app container
    (which reads the order they wrote: init1, init2), under ``restartPolicy: Never`` (the pod
    ends Succeeded) and ``Always`` (the pod runs); under ``Never``, an init container that
    fails keeps the app container from ever starting and fails the pod."""
    kube.core.create_namespaced_pod(
        kv_namespace, _init_pod("init-never", "Never", "true", "cat /work/order")
    )
    kube.core.create_namespaced_pod(
        kv_namespace, _init_pod("init-always", "Always", "true", "cat /work/order; sleep 600")
    )
    kube.core.create_namespaced_pod(kv_namespace, _init_pod("init-fails", "Never", "false", "true"))
    failed = _failed_without_app(kube, kv_namespace, "init-fails", 20)
    ended = {s.name: s.state.terminated for s in failed.status.init_container_statuses or []}
    first, second = ended.get("init1"), ended.get("init2")
    assert first is not None and first.exit_code == 0, f"init1 ended {first}"
    assert second is not None and second.exit_code != 0, f"init2 ended {second}, not failed"
    done = wait_pod(kube, kv_namespace, "init-never", ("Succeeded",), 10)
    running = wait_running_ready(kube, kv_namespace, "init-always", 10)
    for pod in (done, running):
        why = _inits_done(pod)
        assert why is None, f"pod {pod.metadata.name}: {why}"
    apps = {pod.metadata.name: (pod.metadata.name, "run1") for pod in (done, running)}
    for pod, order in finished_logs_of(kube, kv_namespace, apps).items():
        assert order == "init1\ninit2\n", (
            f"pod {pod}: the app container read {order!r}, not init1 then init2"
        )


def _hooked(name: str, node: str, target: str) -> b.Manifest:
    """Two containers that run until stopped: one whose hooks run curl in it, one whose hooks
    the kubelet sends as HTTP GETs itself; every hook asks the handler to echo its name."""

    def curl(message: str) -> dict[str, Any]:
        url = f"http://{target}:{HANDLER_PORT}/echo?msg={message}"
        return {"exec": {"command": ["curl", "-s", url]}}

    def get(message: str) -> dict[str, Any]:
        return {"httpGet": {"host": target, "port": HANDLER_PORT, "path": f"/echo?msg={message}"}}

    return b.pod(
        name,
        None,
        b.container(
            "exec-hooks",
            image=b.AGNHOST_IMAGE,
            command=["/agnhost", "pause"],
            lifecycle={"postStart": curl("poststart-exec"), "preStop": curl("prestop-exec")},
        ),
        b.container(
            "http-hooks",
            image=b.AGNHOST_IMAGE,
            command=["/agnhost", "pause"],
            lifecycle={"postStart": get("poststart-http"), "preStop": get("prestop-http")},
        ),
        nodeName=node,
        terminationGracePeriodSeconds=GRACE_S,
    )


def _handled(kube: Kube, namespace: str, handler: str, messages: list[str], timeout: float) -> None:
    def all_seen() -> bool:
        text = logs(kube, namespace, handler)
        missing = [m for m in messages if f"GET /echo?msg={m}" not in text]
        assert not missing, f"the handler saw no request from {missing}"
        return True

    wait_for(f"the handler to receive {', '.join(messages)}", all_seen, timeout)


@standard_base(
    id="node/lifecycle-hooks",
    conformance=[
        f"{SIG} Container Lifecycle Hook when create a pod with lifecycle hook should execute "
        "poststart exec hook properly [Conformance] [NodeConformance]",
        f"{SIG} Container Lifecycle Hook when create a pod with lifecycle hook should execute "
        "prestop exec hook properly [Conformance] [NodeConformance]",
        f"{SIG} Container Lifecycle Hook when create a pod with lifecycle hook should execute "
        "poststart http hook properly [Conformance] [NodeConformance]",
        f"{SIG} Container Lifecycle Hook when create a pod with lifecycle hook should execute "
        "prestop http hook properly [Conformance] [NodeConformance]",
        f"{SIG} PreStop should call prestop when killing a pod [Conformance]",
    ],
    needs=["real-kubelet"],
    timeout=45,
)
def test_lifecycle_hooks(kube: Kube, kv_namespace: str) -> None:
    """A container's postStart hooks run once it has started, an exec hook inside the container
    and an HTTP hook from the kubelet, each reaching an HTTP handler in another pod; when the
    pod is deleted (with a grace period), its preStop hooks of both kinds reach the handler
    before the containers stop."""
    handler = "hook-handler"
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            handler,
            None,
            b.container(
                image=b.AGNHOST_IMAGE,
                command=["/agnhost", "netexec", f"--http-port={HANDLER_PORT}"],
                readinessProbe={
                    "httpGet": {"path": "/healthz", "port": HANDLER_PORT},
                    "periodSeconds": 1,
                },
            ),
        ),
    )
    ready = wait_running_ready(kube, kv_namespace, handler, 15)
    kube.core.create_namespaced_pod(
        kv_namespace, _hooked("hooked", str(ready.spec.node_name), str(ready.status.pod_ip))
    )
    wait_pod(kube, kv_namespace, "hooked", ("Running",), 10)
    _handled(kube, kv_namespace, handler, ["poststart-exec", "poststart-http"], 10)
    kube.core.delete_namespaced_pod("hooked", kv_namespace, grace_period_seconds=GRACE_S)
    _handled(kube, kv_namespace, handler, ["prestop-exec", "prestop-http"], 10)
