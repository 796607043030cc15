"""The Kubernetes version-skew policy, held at every step of an upgrade.

After each step the upgrade reads what every component runs (``sample``): each API server,
controller-manager and scheduler by its static pod's image, each kubelet by its Node, each
kube-proxy by its pod's image. ``breaches`` holds one reading to the policy
(https://kubernetes.io/releases/version-skew-policy/), by minor release:

* the newest and the oldest API server at most one apart;
* a controller-manager or scheduler never newer than the oldest API server, at most one older;
* a kubelet or kube-proxy never newer than the oldest API server, at most three older.

A reading that could not be taken (the API server away for a moment) is said, not guessed: the
result then warns that those steps were not seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bootstrap.upstream.versions import version_parts
from kubeadm_verify.access import Client
from kubeadm_verify.errors import UsageError

CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
Minor = tuple[int, int]


@dataclass(frozen=True)
class Reading:
    """What ran after one step: ``{component: {node: (major, minor)}}``."""

    after: str
    running: dict[str, dict[str, Minor]] = field(default_factory=dict)


def sample(client: Client, after: str) -> Reading:
    """Every component's release as the API reports it now."""
    running: dict[str, dict[str, Minor]] = {name: {} for name in (*CONTROL_PLANE, "kube-proxy")}
    pods = client.get("/api/v1/namespaces/kube-system/pods")["items"]
    for pod in pods:
        component = _component(pod)
        node = str((pod.get("spec") or {}).get("nodeName") or "")
        image = str(pod["spec"]["containers"][0].get("image", ""))
        release = _release(image.rpartition(":")[2])
        if component in running and node and release:
            running[component][node] = release
    running["kubelet"] = {}
    for node in client.get("/api/v1/nodes")["items"]:
        said = str(node.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", ""))
        release = _release(said)
        if release:
            running["kubelet"][node["metadata"]["name"]] = release
    return Reading(after, running)


def _release(version: str) -> Minor | None:
    """(major, minor) of a release version (``v1.37.2``), through the one version parser;
    None for anything else (a pre-release, a digest)."""
    try:
        major, minor, _ = version_parts(version)
    except UsageError:
        return None
    return major, minor


def breaches(reading: Reading) -> list[str]:
    """Where ``reading`` is outside the policy, each naming the component, node and releases."""
    servers = reading.running.get("kube-apiserver", {})
    if not servers:
        return [f"after {reading.after}: no API server found to hold the others to"]
    oldest, newest = min(servers.values()), max(servers.values())
    found = []
    if newest[0] != oldest[0] or newest[1] - oldest[1] > 1:
        found.append(f"API servers {_named(servers)}: more than one minor apart")
    for component, older in (
        ("kube-controller-manager", 1),
        ("kube-scheduler", 1),
        ("kubelet", 3),
        ("kube-proxy", 3),
    ):
        for node, release in sorted(reading.running.get(component, {}).items()):
            if release > oldest:
                found.append(f"{component} on {node} {_v(release)} is newer than {_v(oldest)}")
            elif release[0] != oldest[0] or oldest[1] - release[1] > older:
                found.append(
                    f"{component} on {node} {_v(release)} is more than {older} minor(s) "
                    f"older than {_v(oldest)}"
                )
    return [f"after {reading.after}: {said}" for said in found]


def _component(pod: dict[str, Any]) -> str:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return str(labels.get("component") or labels.get("k8s-app") or "")


def _v(release: Minor) -> str:
    return f"v{release[0]}.{release[1]}"


def _named(by_node: dict[str, Minor]) -> str:
    return ", ".join(f"{node} {_v(release)}" for node, release in sorted(by_node.items()))
