"""node: a pod's namespaced sysctls, as the kubelet admits and the runtime sets them: a safe one
is set in the pod's own namespaces, an unsafe one the kubelet was not told to allow keeps the
pod from running, and malformed names never reach a node.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import json

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, refused, server_said
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import logs, wait_pod

SIG = "[sig-node]"


def _with(name: str, sysctls: dict[str, str], command: list[str]) -> b.Manifest:
    return b.pod(
        name,
        None,
        b.container(image=b.BUSYBOX_IMAGE, command=command),
        restartPolicy="Never",
        securityContext={
            "sysctls": [{"name": key, "value": value} for key, value in sysctls.items()]
        },
    )


@standard_base(
    id="node/sysctls",
    conformance=[
        f"{SIG} Sysctls [LinuxOnly] should support sysctls [Environment:NotInUserNS] "
        "[Conformance] [NodeConformance]",
        f"{SIG} Sysctls [LinuxOnly] should reject invalid sysctls [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=25,
)
def test_sysctls(kube: Kube, kv_namespace: str) -> None:
    """A pod with the safe sysctl ``kernel.shm_rmid_forced=1`` runs and its container reads 1
    (the host's ipc namespace is not the pod's); a pod with ``kernel.msgmax``, unsafe and not
    allowed by the kubelet, fails with reason SysctlForbidden; a pod whose sysctl names are
    malformed (``foo-``, ``bar..``) is refused by the API server naming just those."""
    kube.core.create_namespaced_pod(
        kv_namespace,
        _with("safe", {"kernel.shm_rmid_forced": "1"}, ["/bin/sysctl", "kernel.shm_rmid_forced"]),
    )
    kube.core.create_namespaced_pod(
        kv_namespace, _with("unsafe", {"kernel.msgmax": "10000000000"}, ["true"])
    )
    invalid = _with(
        "invalid",
        {
            "foo-": "bar",
            "kernel.shmmax": "100000000",
            "safe-and-unsafe": "100000000",
            "bar..": "42",
        },
        ["true"],
    )
    error = refused(
        "a pod with malformed sysctl names",
        lambda: kube.core.create_namespaced_pod(kv_namespace, invalid),
    )
    assert error.status == 422, (
        f"malformed sysctls: HTTP {error.status}, not 422: {server_said(error.body)}"
    )
    message = str(json.loads(error.body).get("message", ""))
    named = [n for n in ('Invalid value: "foo-"', 'Invalid value: "bar.."') if n not in message]
    wrongly = [n for n in ("safe-and-unsafe", "kernel.shmmax") if n in message]
    assert not named and not wrongly, (
        f"the refusal does not name {named} or names valid ones {wrongly}: "
        f"{server_said(error.body)}"
    )
    safe = wait_pod(kube, kv_namespace, "safe", ("Succeeded",), 15)
    assert "kernel.shm_rmid_forced = 1" in logs(kube, kv_namespace, "safe"), (
        f"on node {safe.spec.node_name} the container reads "
        f"{logs(kube, kv_namespace, 'safe').strip()!r}, not kernel.shm_rmid_forced = 1"
    )
    unsafe = wait_pod(kube, kv_namespace, "unsafe", ("Failed",), 5)
    assert unsafe.status.reason == "SysctlForbidden", (
        f"the pod with an unsafe sysctl failed with reason {unsafe.status.reason!r}, "
        "not SysctlForbidden"
    )
