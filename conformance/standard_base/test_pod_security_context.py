"""node: a pod's and a container's security context reach the process the runtime starts: the
user and group it runs as, a root filesystem that is read-only or writable, no privilege to
change the network, no privilege escalation.

One pod shows all of it, a container for each promise, each printing what it found; the pod's
security context sets uid 1001 and gid 2002 for every container that does not set its own.
Upstream's specs (``[sig-node] Security Context``, ``Kubelet when scheduling a read only busybox
container``) run a pod each; what each asserts is asserted here of its container. Upstream's
``AllowPrivilegeEscalation ... when false`` runs a setuid-root program from its own image (the
``nonewprivs`` image: agnhost's ``nonewprivs``, setuid root); here an init container running as
root makes the same program from the agnhost image (a copy, owned by root, mode 4755, in an
``emptyDir``).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import logs, wait_pod

SIG = "[sig-node]"
POD_USER, POD_GROUP = 1001, 2002
OWN_USER, OWN_GROUP = 1002, 2003
NOBODY = 65534
NON_ROOT = 1000
ROOT = {"runAsUser": 0, "runAsGroup": 0}
ESCALATE_DIR = "/escalate"
SETUID_COPY = f"{ESCALATE_DIR}/agnhost"
MOUNT = [{"name": "escalate", "mountPath": ESCALATE_DIR}]


@dataclass(frozen=True)
class Case:
    """A container: its security context, its command, and what it must end with."""

    name: str
    context: dict[str, Any]
    script: str
    log: str
    exit_zero: bool = True
    exact: bool = True
    image: str = b.BUSYBOX_IMAGE


CASES = (
    Case("pod-level", {}, "id -u; id -g", f"{POD_USER}\n{POD_GROUP}\n"),
    Case(
        "container-level",
        {"runAsUser": OWN_USER, "runAsGroup": OWN_GROUP},
        "id -u; id -g",
        f"{OWN_USER}\n{OWN_GROUP}\n",
    ),
    Case("uid-65534", {"runAsUser": NOBODY}, f"id -u; test $(id -u) -eq {NOBODY}", f"{NOBODY}\n"),
    Case(
        "writable-rootfs",
        {**ROOT, "readOnlyRootFilesystem": False},
        "touch /checkfile && echo written",
        "written\n",
    ),
    Case(
        "readonly-rootfs",
        {**ROOT, "readOnlyRootFilesystem": True},
        "echo test > /file",
        "/bin/sh: can't create /file: Read-only file system\n",
        exit_zero=False,
    ),
    Case(
        "unprivileged",
        {**ROOT, "privileged": False},
        "ip link add dummy0 type dummy || true",
        "Operation not permitted",
        exact=False,
    ),
    Case(
        "no-escalation",
        {"runAsUser": NON_ROOT, "allowPrivilegeEscalation": False},
        f"grep NoNewPrivs /proc/self/status; {SETUID_COPY} nonewprivs",
        f"NoNewPrivs:\t1\nEffective uid: {NON_ROOT}\n",
        image=b.AGNHOST_IMAGE,
    ),
)


def _container(case: Case) -> b.Manifest:
    extra: dict[str, Any] = {"securityContext": case.context} if case.context else {}
    return b.container(
        case.name,
        image=case.image,
        command=["/bin/sh", "-c", case.script],
        volumeMounts=MOUNT,
        **extra,
    )


def _setuid_maker() -> b.Manifest:
    """An init container, root, that leaves a setuid-root copy of agnhost in the volume."""
    script = f"cp /agnhost {SETUID_COPY} && chown 0:0 {SETUID_COPY} && chmod 4755 {SETUID_COPY}"
    return b.container(
        "make-setuid",
        image=b.AGNHOST_IMAGE,
        command=["sh", "-c", script],
        volumeMounts=MOUNT,
        securityContext=ROOT,
    )


def _judge(case: Case, status: Any, log: str) -> str | None:
    ended = status.state.terminated if status is not None and status.state else None
    if ended is None:
        return f"{case.name}: did not run to its end"
    if case.exit_zero != (ended.exit_code == 0):
        return f"{case.name}: exit code {ended.exit_code}, log {log[:120]!r}"
    if (log != case.log) if case.exact else (case.log not in log):
        return f"{case.name}: printed {log[:120]!r}, not {case.log!r}"
    return None


@standard_base(
    id="node/security-context",
    conformance=[
        f"{SIG} Security Context When creating a container with runAsUser should run the "
        "container with uid 65534 [LinuxOnly] [Conformance] [NodeConformance]",
        f"{SIG} Security Context should support pod.Spec.SecurityContext.RunAsUser And "
        "pod.Spec.SecurityContext.RunAsGroup [LinuxOnly] [Conformance]",
        f"{SIG} Security Context should support container.SecurityContext.RunAsUser And "
        "container.SecurityContext.RunAsGroup [LinuxOnly] [Conformance]",
        f"{SIG} Security Context When creating a pod with readOnlyRootFilesystem should run the "
        "container with writable rootfs when readOnlyRootFilesystem=false [Conformance] "
        "[NodeConformance]",
        f"{SIG} Kubelet when scheduling a read only busybox container should not write to root "
        "filesystem [LinuxOnly] [Conformance] [NodeConformance]",
        f"{SIG} Security Context When creating a pod with privileged should run the container "
        "as unprivileged when false [LinuxOnly] [Conformance] [NodeConformance]",
        f"{SIG} Security Context when creating containers with AllowPrivilegeEscalation should "
        "not allow privilege escalation when false [LinuxOnly] [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=30,
)
def test_security_context(kube: Kube, kv_namespace: str) -> None:
    """The pod's runAsUser 1001 and runAsGroup 2002 are the uid and gid of a container that sets
    neither, and a container's own 1002 and 2003 win over them; a container with runAsUser
    65534 runs as 65534; as root, a container writes to its root filesystem when
    readOnlyRootFilesystem is false and is refused (``Read-only file system``) when it is true,
    and an unprivileged one may not add a network link (``Operation not permitted``); with
    allowPrivilegeEscalation false, the kernel's no_new_privs flag is set on the process and a
    setuid-root program it runs keeps its effective uid 1000."""
    name = "security-context"
    kube.core.create_namespaced_pod(
        kv_namespace,
        b.pod(
            name,
            None,
            *(_container(case) for case in CASES),
            restartPolicy="Never",
            securityContext={"runAsUser": POD_USER, "runAsGroup": POD_GROUP},
            initContainers=[_setuid_maker()],
            volumes=[{"name": "escalate", "emptyDir": {}}],
        ),
    )
    pod = wait_pod(kube, kv_namespace, name, ("Succeeded", "Failed"), 25)
    statuses = {s.name: s for s in pod.status.container_statuses or []}
    wrong = [
        why
        for case in CASES
        if (why := _judge(case, statuses.get(case.name), logs(kube, kv_namespace, name, case.name)))
        is not None
    ]
    assert not wrong, f"on node {pod.spec.node_name}: " + "; ".join(wrong)
