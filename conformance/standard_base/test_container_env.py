"""node: what a container is started with, as the kubelet builds it: its environment (values,
``$(VAR)`` expansion, the downward API, ConfigMaps and Secrets, one key or all with a prefix),
its ``/etc/hosts``, its command and arguments (the image's defaults, or the pod's in their
place).

Upstream's specs run a pod each; here one pod shows each group of promises, a container per
promise, and what each spec asserts of its container's output is asserted here.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else (never a
Secret's value: the values here are made up for the test).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import (
    FINISHED_LOG_SETTLE_S,
    allocatable_defaults,
    ending,
    finished_logs_of,
    logs,
    wait_pod,
)

SIG = "[sig-node]"
DATA = {"data-1": "value-1", "data-2": "value-2", "data-3": "value-3"}
PREFIXES = ("", "p-", "1-", "$_-", "ABC_", "#@!")
EXPANDED = 'TEST_VAR=wrong echo "$(TEST_VAR)"'
ALIAS_IP = "123.45.67.89"


def parse_env(output: str) -> dict[str, str]:
    """``env``'s ``NAME=value`` lines as a dict (the first ``=`` ends the name).

    ``env`` runs as the container's own process, not under a shell: a shell may drop variables
    whose names it could not use itself (``data-1``, ``#@!data-1``) before its children see them.
    """
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def _field(path: str) -> dict[str, Any]:
    return {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}


def _resource(name: str) -> dict[str, Any]:
    return {"resourceFieldRef": {"resource": name}}


def _from_each(kind: str, name: str) -> list[dict[str, Any]]:
    """envFrom: every key of ``name``, once under each of :data:`PREFIXES`."""
    ref = "configMapRef" if kind == "configmap" else "secretRef"
    return [{ref: {"name": name}, **({"prefix": p} if p else {})} for p in PREFIXES]


def _env_pod(name: str, source: str) -> b.Manifest:
    values = [
        {"name": "FOO", "value": "foo-value"},
        {"name": "BAR", "value": "bar-value"},
        {"name": "FOOBAR", "value": "$(FOO);;$(BAR)"},
        {"name": "TEST_VAR", "value": "test-value"},
        {"name": "POD_NAME", "valueFrom": _field("metadata.name")},
        {"name": "POD_NAMESPACE", "valueFrom": _field("metadata.namespace")},
        {"name": "POD_UID", "valueFrom": _field("metadata.uid")},
        {"name": "POD_IP", "valueFrom": _field("status.podIP")},
        {"name": "HOST_IP", "valueFrom": _field("status.hostIP")},
        {"name": "HOST_IPS", "valueFrom": _field("status.hostIPs")},
        {"name": "CPU_LIMIT", "valueFrom": _resource("limits.cpu")},
        {"name": "MEMORY_LIMIT", "valueFrom": _resource("limits.memory")},
        {"name": "CPU_REQUEST", "valueFrom": _resource("requests.cpu")},
        {"name": "MEMORY_REQUEST", "valueFrom": _resource("requests.memory")},
    ]
    limited = b.container("env", image=b.BUSYBOX_IMAGE, command=["env"], env=values)
    limited["resources"] = {
        "requests": {"cpu": "250m", "memory": "32Mi"},
        "limits": {"cpu": "1250m", "memory": "64Mi"},
    }
    defaults = b.container("defaults", image=b.BUSYBOX_IMAGE, command=["env"], env=values[-4:-2])
    del defaults["resources"]  # no limits: the downward API gives the node's allocatable
    keys = [
        {
            "name": "CONFIG_DATA_1",
            "valueFrom": {"configMapKeyRef": {"name": source, "key": "data-1"}},
        },
        {"name": "SECRET_DATA", "valueFrom": {"secretKeyRef": {"name": source, "key": "data-1"}}},
    ]
    return b.pod(
        name,
        None,
        limited,
        defaults,
        b.container(
            "command", image=b.BUSYBOX_IMAGE, command=["sh", "-c", EXPANDED], env=values[3:4]
        ),
        b.container(
            "args", image=b.BUSYBOX_IMAGE, command=["sh", "-c"], args=[EXPANDED], env=values[3:4]
        ),
        b.container("keys", image=b.BUSYBOX_IMAGE, command=["env"], env=keys),
        b.container(
            "from-configmap",
            image=b.BUSYBOX_IMAGE,
            command=["env"],
            envFrom=_from_each("configmap", source),
        ),
        b.container(
            "from-secret",
            image=b.BUSYBOX_IMAGE,
            command=["env"],
            envFrom=_from_each("secret", source),
        ),
        b.container("hosts", image=b.BUSYBOX_IMAGE, command=["cat", "/etc/hosts"]),
        restartPolicy="Never",
        hostAliases=[{"ip": ALIAS_IP, "hostnames": ["foo", "bar"]}],
    )


def _missing(want: Mapping[str, str], got: Mapping[str, str]) -> dict[str, str | None]:
    return {key: got.get(key) for key, value in want.items() if got.get(key) != value}


@standard_base(
    id="node/container-environment",
    conformance=[
        f"{SIG} Variable Expansion should allow composing env vars into new env vars "
        "[Conformance] [NodeConformance]",
        f"{SIG} Variable Expansion should allow substituting values in a container's command "
        "[Conformance] [NodeConformance]",
        f"{SIG} Variable Expansion should allow substituting values in a container's args "
        "[Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide pod name, namespace and IP address as env vars "
        "[Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide host IP as an env var [Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide hostIPs as an env var [Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide pod UID as env vars [Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide container's limits.cpu/memory and "
        "requests.cpu/memory as env vars [Conformance] [NodeConformance]",
        f"{SIG} Downward API should provide default limits.cpu/memory from node allocatable "
        "[Conformance] [NodeConformance]",
        f"{SIG} ConfigMap should be consumable via environment variable [Conformance] "
        "[NodeConformance]",
        f"{SIG} ConfigMap should be consumable via the environment [Conformance] [NodeConformance]",
        f"{SIG} ConfigMap should be consumable as environment variable names with various "
        "prefixes [Conformance]",
        f"{SIG} Secrets should be consumable from pods in env vars [Conformance] [NodeConformance]",
        f"{SIG} Secrets should be consumable via the environment [Conformance] [NodeConformance]",
        f"{SIG} Secrets should be consumable as environment variable names variable names with "
        "various prefixes [Conformance]",
        f"{SIG} Kubelet when scheduling an agnhost Pod with hostAliases should write entries to "
        "/etc/hosts [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=30,
)
def test_container_environment(kube: Kube, kv_namespace: str) -> None:
    """A container's environment holds what the pod gives it: plain values, ``$(FOO);;$(BAR)``
    expanded from earlier ones, ``$(TEST_VAR)`` expanded in its command and in its arguments
    (not by the shell); the pod's name, namespace, UID, IP, its node's IP and IPs; its own CPU
    and memory limits and requests (rounded up to whole cores, in bytes), or the node's
    allocatable CPU and memory where it sets no limit; a ConfigMap's and a Secret's key by
    name, and all their keys, bare and under prefixes (``p-``, ``1-``, ``$_-``, ``ABC_``,
    ``#@!``). The ``/etc/hosts`` the kubelet writes holds the pod's host aliases."""
    name, source = "environment", "env-source"
    kube.core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": source}, "data": DATA}
    )
    kube.core.create_namespaced_secret(
        kv_namespace, {"metadata": {"name": source}, "stringData": DATA}
    )
    kube.core.create_namespaced_pod(kv_namespace, _env_pod(name, source))
    pod = wait_pod(kube, kv_namespace, name, ("Succeeded", "Failed"), 25)
    assert pod.status.phase == "Succeeded", f"a container ended with an error: {_exit_codes(pod)}"
    out = finished_logs_of(
        kube, kv_namespace, {c.name: (name, c.name) for c in pod.spec.containers}
    )
    host_ips = ",".join(str(h.ip) for h in pod.status.host_ips or [])
    from_each = {f"{p}{k}": v for p in PREFIXES for k, v in DATA.items()}
    wrong = {
        "env": _missing(
            {
                "FOO": "foo-value",
                "BAR": "bar-value",
                "FOOBAR": "foo-value;;bar-value",
                "POD_NAME": name,
                "POD_NAMESPACE": kv_namespace,
                "POD_UID": pod.metadata.uid,
                "POD_IP": pod.status.pod_ip,
                "HOST_IP": pod.status.host_ip,
                "HOST_IPS": host_ips,
                "CPU_LIMIT": "2",
                "MEMORY_LIMIT": str(64 << 20),
                "CPU_REQUEST": "1",
                "MEMORY_REQUEST": str(32 << 20),
            },
            parse_env(out["env"]),
        ),
        "defaults": _missing(
            {
                f"{k.upper()}_LIMIT": v
                for k, v in allocatable_defaults(kube, pod.spec.node_name).items()
            },
            parse_env(out["defaults"]),
        ),
        "command": {} if out["command"] == "test-value\n" else {"output": out["command"]},
        "args": {} if out["args"] == "test-value\n" else {"output": out["args"]},
        "keys": _missing(
            {"CONFIG_DATA_1": "value-1", "SECRET_DATA": "value-1"}, parse_env(out["keys"])
        ),
        "from-configmap": _missing(from_each, parse_env(out["from-configmap"])),
        "from-secret": _missing(from_each, parse_env(out["from-secret"])),
        "hosts": {} if f"{ALIAS_IP}\tfoo\tbar" in out["hosts"] else {"/etc/hosts": out["hosts"]},
    }
    said = {container: got for container, got in wrong.items() if got}
    assert not said, f"on node {pod.spec.node_name}, not as given (container: got): {said}"


def _exit_codes(pod: Any) -> str:
    ended = {s.name: s.state.terminated for s in pod.status.container_statuses or []}
    return ", ".join(f"{n} {t.exit_code if t else 'not ended'}" for n, t in ended.items())


def _log_so_far(kube: Kube, namespace: str, pod: str, container: str) -> str:
    """The container's log, empty while it has not started (the API answers 400 then)."""
    try:
        return logs(kube, namespace, pod, container)
    except client.ApiException as exc:
        if exc.status == 400:
            return ""
        raise


ENTRYPOINT_ARGS = ["entrypoint-tester", "override", "arguments"]


def _entrypoint_pod(name: str) -> b.Manifest:
    """agnhost's image: entrypoint ``/agnhost``, arguments ``pause``."""
    return b.pod(
        name,
        None,
        b.container("image-defaults", image=b.AGNHOST_IMAGE),
        b.container("args", image=b.AGNHOST_IMAGE, args=ENTRYPOINT_ARGS),
        b.container("command", image=b.AGNHOST_IMAGE, command=["/bin/echo", "command-only"]),
        b.container(
            "command-and-args",
            image=b.AGNHOST_IMAGE,
            command=["/bin/echo"],
            args=["override", "arguments"],
        ),
        restartPolicy="Never",
    )


@standard_base(
    id="node/command-and-args",
    conformance=[
        f"{SIG} Containers should use the image defaults if command and args are blank "
        "[Conformance] [NodeConformance]",
        f"{SIG} Containers should be able to override the image's default arguments (container "
        "cmd) [Conformance] [NodeConformance]",
        f"{SIG} Containers should be able to override the image's default command (container "
        "entrypoint) [Conformance] [NodeConformance]",
        f"{SIG} Containers should be able to override the image's default command and "
        "arguments [Conformance] [NodeConformance]",
    ],
    needs=["real-kubelet"],
    timeout=50,
)
def test_command_and_args(kube: Kube, kv_namespace: str) -> None:
    """With neither command nor args, a container runs its image's entrypoint with the image's
    arguments (agnhost ``pause``: it prints ``Paused``); args alone replace the image's
    arguments and keep its entrypoint; a command alone replaces the entrypoint and drops the
    image's arguments; command and args together replace both."""
    name = "entrypoint"
    kube.core.create_namespaced_pod(kv_namespace, _entrypoint_pod(name))
    wait_pod(kube, kv_namespace, name, ("Running",), 15)
    want = {
        "args": "[/agnhost entrypoint-tester override arguments]\n",
        "command": "command-only\n",
        "command-and-args": "override arguments\n",
    }
    got = finished_logs_of(kube, kv_namespace, {c: (name, c) for c in want})
    wrong = {c: got[c] for c, text in want.items() if got[c] != text}
    assert not wrong, f"containers that printed otherwise: {wrong}"

    def paused() -> bool:
        said = _log_so_far(kube, kv_namespace, name, "image-defaults")
        assert "Paused" in said, f"image-defaults printed {said!r}"
        return True

    wait_for("the image's default command to print Paused", paused, FINISHED_LOG_SETTLE_S)


MANAGED = "# Kubernetes-managed hosts file."
HOSTS_SPLIT = "==kv-original=="
ORIGINAL_MOUNT = {"name": "host-etc-hosts", "mountPath": "/etc/hosts-original", "readOnly": True}


def _hosts_pod(name: str, host_network: bool, own_mount: bool) -> b.Manifest:
    """Containers that print their /etc/hosts, then the node's (mounted at /etc/hosts-original);
    with ``own_mount`` a third mounts the node's file at /etc/hosts itself."""
    script = ending(f"cat /etc/hosts; echo {HOSTS_SPLIT}; cat /etc/hosts-original")
    containers = [
        b.container(
            f"busybox-{n}",
            image=b.BUSYBOX_IMAGE,
            command=["sh", "-c", script],
            volumeMounts=[ORIGINAL_MOUNT],
        )
        for n in (1, 2)
    ]
    if own_mount:
        containers.append(
            b.container(
                "busybox-3",
                image=b.BUSYBOX_IMAGE,
                command=["sh", "-c", script],
                volumeMounts=[ORIGINAL_MOUNT, {**ORIGINAL_MOUNT, "mountPath": "/etc/hosts"}],
            )
        )
    return b.pod(
        name,
        None,
        *containers,
        restartPolicy="Never",
        hostNetwork=host_network,
        volumes=[{"name": "host-etc-hosts", "hostPath": {"path": "/etc/hosts", "type": "File"}}],
    )


def kubelet_managed(output: str) -> bool | None:
    """Whether the container's /etc/hosts is the kubelet's (its header, and not the node's
    file); None when either file was empty (nothing to judge)."""
    hosts, _, original = output.partition(f"{HOSTS_SPLIT}\n")
    if not hosts.strip() or not original.strip():
        return None
    return hosts.startswith(MANAGED) and hosts != original


@standard_base(
    id="node/etc-hosts-managed",
    conformance=[
        f"{SIG} KubeletManagedEtcHosts should test kubelet managed /etc/hosts file "
        "[Conformance] [NodeConformance]"
    ],
    needs=["real-kubelet"],
    timeout=25,
)
def test_etc_hosts_managed(kube: Kube, kv_namespace: str) -> None:
    """The kubelet writes the /etc/hosts of a pod's containers (its header, not the node's
    file), except for a container that mounts a file at /etc/hosts itself and for a pod on the
    host's network, whose containers see the node's own entries."""
    kube.core.create_namespaced_pod(kv_namespace, _hosts_pod("etc-hosts", False, True))
    kube.core.create_namespaced_pod(kv_namespace, _hosts_pod("etc-hosts-host-network", True, False))
    want = {
        ("etc-hosts", "busybox-1"): True,
        ("etc-hosts", "busybox-2"): True,
        ("etc-hosts", "busybox-3"): False,
        ("etc-hosts-host-network", "busybox-1"): False,
        ("etc-hosts-host-network", "busybox-2"): False,
    }
    for pod in ("etc-hosts", "etc-hosts-host-network"):
        wait_pod(kube, kv_namespace, pod, ("Succeeded",), 20)
    read = finished_logs_of(kube, kv_namespace, {key: key for key in want}, ended=True)
    got = {key: kubelet_managed(text) for key, text in read.items()}
    wrong = {
        f"{pod}/{container}": (
            "unread"
            if got[(pod, container)] is None
            else "managed"
            if got[(pod, container)]
            else "not managed"
        )
        for (pod, container), managed in want.items()
        if got[(pod, container)] != managed
    }
    assert not wrong, (
        f"/etc/hosts not as it should be (kubelet-managed in a pod's own network, unless the "
        f"container mounts its own; the node's on the host network): {wrong}"
    )
