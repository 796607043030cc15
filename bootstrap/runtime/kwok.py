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

from bootstrap.kubeadm.files import write_private
from bootstrap.phases.api import ApiClient, retry
from bootstrap.runtime import process
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.errors import BootstrapError

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
    with process.signals_deferred():
        record = process.start(COMPONENT, command(state, str(binary)), state.log(COMPONENT),
                               env=env)
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
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "kubernetes.io/role": "agent",
                       "node-role.kubernetes.io/agent": "", "type": "kwok"},
        },
        "spec": {},
    }


def create_nodes(client: ApiClient, count: int) -> list[str]:
    names = [f"{NODE_PREFIX}{index}" for index in range(count)]
    for name in names:
        retry(lambda name=name: client.create_if_absent(node(name)),  # type: ignore[misc]
              f"creating simulated node {name}")
    return names


NOT_READY_TAINTS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})


def nodes_ready(client: ApiClient, names: list[str]) -> bool:
    """Ready, and the node lifecycle controller has lifted its not-ready taint: until then no
    pod of the suite can be scheduled there, although the node already reports Ready."""
    for name in names:
        item = client.get_or_none(f"/api/v1/nodes/{name}") or {}
        conditions = item.get("status", {}).get("conditions") or []
        if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            return False
        taints = item.get("spec", {}).get("taints") or []
        if any(t.get("key") in NOT_READY_TAINTS for t in taints):
            return False
    return True


__all__ = ["ANNOTATION", "COMPONENT", "SELECTOR", "STAGES", "command", "create_nodes", "node",
           "nodes_ready", "start"]
