"""Simulated nodes: kwok (sigs.k8s.io/kwok v0.8.0) as one more supervised process.

kwok runs against our apiserver with the admin kubeconfig and manages only the Nodes annotated
``kwok.x-k8s.io/node=fake`` (``--manage-all-nodes=false``), so it never touches a real node that
joins later. kwok does nothing without *stages*, the rules that move a Node to Ready and a Pod to
Running; v0.8.0 reads them from ``--config`` (``kind: Stage`` documents) unless told to watch the
Stage CRD. The stages below are our own minimal set in the same shape as kwok's "fast" ones:
a node becomes Ready at once (its lease renewed by kwok, ``--node-lease-duration-seconds``),
a scheduled pod becomes Running and Ready, a Job's pod completes, a deleted pod goes away.
``HOME`` points into the state dir so a user's ``~/.kwok/kwok.yaml`` is never read.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from bootstrap.kubeadm.files import write_private
from bootstrap.phases.api import ApiClient, retry
from bootstrap.runtime import process
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred

COMPONENT = "kwok"
ANNOTATION = "kwok.x-k8s.io/node"
SELECTOR = f"{ANNOTATION}=fake"
LEASE_SECONDS = 40
NODE_PREFIX = "kwok-node-"

_NODE_READY = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-initialize
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}
      addresses:
      {{ with NodeIP }}
      - address: {{ . | Quote }}
        type: InternalIP
      {{ end }}
      {{ with NodeName }}
      - address: {{ . | Quote }}
        type: Hostname
      {{ end }}
      allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
      capacity: {cpu: "32", memory: 256Gi, pods: "110"}
      nodeInfo:
        architecture: amd64
        containerRuntimeVersion: kwok
        kernelVersion: kwok
        kubeletVersion: kwok
        operatingSystem: linux
      phase: Running
"""
_NODE_HEARTBEAT = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-heartbeat-with-lease
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.phase'
      operator: In
      values: [Running]
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: In
      values: ['True']
  delay: {durationMilliseconds: 600000, jitterDurationMilliseconds: 610000}
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}
"""
_POD_READY = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - key: '.status.phase'
      operator: In
      values: [Pending]
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
      - {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Ready}
      - {lastTransitionTime: {{ $now | Quote }}, status: "True", type: ContainersReady}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ with NodeIPsWith .spec.nodeName }}
      hostIP: {{ index . 0 | Quote }}
      {{ end }}
      {{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) \
( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
"""
_POD_COMPLETE = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - key: '.status.phase'
      operator: In
      values: [Running]
    - key: '.metadata.ownerReferences.[].kind'
      operator: In
      values: [Job]
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
"""
_POD_DELETE = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: Exists}
  next:
    delete: true
"""
STAGES = "---\n".join((_NODE_READY, _NODE_HEARTBEAT, _POD_READY, _POD_COMPLETE, _POD_DELETE))


def command(state: StateDir, kwok_binary: str) -> list[str]:
    return [
        kwok_binary,
        f"--kubeconfig={state.admin_conf}",
        f"--config={state.kwok / 'stages.yaml'}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={SELECTOR}",
        f"--node-lease-duration-seconds={LEASE_SECONDS}",
    ]


def start(state: StateDir) -> ProcessRecord:
    """Write the stages and start kwok (again, if it is not running)."""
    from bootstrap.phases.staticpods import bin_dir, running

    current = running(state, COMPONENT)
    if current is not None:
        return current
    home = state.kwok / "home"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(state.kwok / "stages.yaml", STAGES.encode())
    binary = bin_dir(state) / "kwok"
    if not binary.is_file():
        raise BootstrapError(f"kwok: no binary at {binary}")
    env = {**os.environ, "HOME": str(home)}
    with deferred():  # started and recorded, or neither: the clean-up stops what is recorded
        record = process.start(
            COMPONENT, command(state, str(binary)), state.log(COMPONENT), env=env
        )
        state.add_process(record)
    return record


def node(name: str) -> dict[str, Any]:
    """A Node kwok will manage: annotated for our selector, labelled like a kubelet's node."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/role": "agent",
                "node-role.kubernetes.io/agent": "",
                "type": "kwok",
            },
        },
        "spec": {},
    }


CREATE_WORKERS = 8
"""Nodes created at once: the API server takes a thousand in seconds this way, one after the
other they took most of a minute."""
LIST_PAGE = 500


def create_nodes(client: ApiClient, count: int) -> list[str]:
    """``count`` Nodes for kwok, created by :data:`CREATE_WORKERS` threads together."""
    from concurrent.futures import ThreadPoolExecutor

    from kubeadm_verify.interrupts import leave_signals_to_the_main_thread

    names = [f"{NODE_PREFIX}{index}" for index in range(count)]
    workers = max(1, min(CREATE_WORKERS, count))
    client.share_connections(workers)

    def create(name: str) -> None:
        retry(lambda: client.create_if_absent(node(name)), f"creating simulated node {name}")

    pool = ThreadPoolExecutor(
        max_workers=workers,
        thread_name_prefix="kwok-nodes",
        initializer=leave_signals_to_the_main_thread,
    )
    try:
        for done in [pool.submit(create, name) for name in names]:
            done.result()
    finally:  # on a failure or Ctrl-C the nodes not yet begun are not begun
        pool.shutdown(wait=True, cancel_futures=True)
    return names


NOT_READY_TAINTS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})


def is_up(item: dict[str, Any]) -> bool:
    """Ready, and the node lifecycle controller has lifted its not-ready taint: until then no
    pod of the suite can be scheduled there, although the node already reports Ready."""
    conditions = item.get("status", {}).get("conditions") or []
    if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
        return False
    taints = item.get("spec", {}).get("taints") or []
    return not any(t.get("key") in NOT_READY_TAINTS for t in taints)


def nodes_up(client: ApiClient, names: list[str]) -> set[str]:
    """Which of ``names`` are up (:func:`is_up`), from one listing of the simulated Nodes a page
    at a time (a GET per node costs a thousand requests a round on a large cluster)."""
    wanted, up = set(names), set()
    token = ""
    while True:
        query = f"?labelSelector=type%3Dkwok&limit={LIST_PAGE}"
        page = client.get(f"/api/v1/nodes{query}" + (f"&continue={quote(token)}" if token else ""))
        up |= {
            str(item["metadata"]["name"])
            for item in page.get("items") or []
            if item.get("metadata", {}).get("name") in wanted and is_up(item)
        }
        token = str((page.get("metadata") or {}).get("continue") or "")
        if not token:
            return up


def nodes_ready(client: ApiClient, names: list[str]) -> bool:
    """Every one of ``names`` is up (:func:`is_up`)."""
    return len(nodes_up(client, names)) == len(set(names))


__all__ = [
    "ANNOTATION",
    "COMPONENT",
    "SELECTOR",
    "STAGES",
    "command",
    "create_nodes",
    "is_up",
    "node",
    "nodes_ready",
    "nodes_up",
    "start",
]
