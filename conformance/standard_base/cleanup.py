"""What a run leaves if it is interrupted, found by its label and removed.

Everything the suite makes carries ``kubeadm-verify.io/test-run=<run id>``: its namespaces (and
so whatever is inside them), and the few objects that cannot live in a test's namespace, listed
in ``KINDS``. Node labels and taints the scheduling tests set use keys under
``kubeadm-verify.io/`` and are removed from every node. ``run_id=None`` means every run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from conformance.standard_base.builders import RUN_LABEL
from conformance.standard_base.kube import Kube
from conformance.standard_base.nodelist import list_nodes
from conformance.standard_base.nodes import SUITE_PREFIX
from kubeadm_verify import access

Deleter = Callable[[Kube, str], None]
Lister = Callable[[Kube, str], list[Any]]


def _ns(name: str) -> Callable[[Kube, str], list[Any]]:
    def lister(kube: Kube, selector: str) -> list[Any]:
        return list(kube.core.list_namespaced_secret(name, label_selector=selector).items)

    return lister


def _typed(api: Callable[[client.ApiClient], Any], resource: str) -> tuple[Lister, Deleter]:
    """Listing and deleting a cluster-scoped ``resource`` through its typed API."""

    def lister(kube: Kube, selector: str) -> list[Any]:
        listed = getattr(api(kube.api_client), f"list_{resource}")(label_selector=selector)
        return list(listed.items)

    def deleter(kube: Kube, name: str) -> None:
        getattr(api(kube.api_client), f"delete_{resource}")(name)

    return lister, deleter


# The API objects tests make outside a namespace (API operations, admission policies).
API_OBJECT_KINDS: dict[str, tuple[Lister, Deleter]] = {
    "runtimeclasses": _typed(client.NodeV1Api, "runtime_class"),
    "priorityclasses": _typed(client.SchedulingV1Api, "priority_class"),
    "ingressclasses": _typed(client.NetworkingV1Api, "ingress_class"),
    "ipaddresses": _typed(client.NetworkingV1Api, "ip_address"),
    "storageclasses": _typed(client.StorageV1Api, "storage_class"),
    "volumeattributesclasses": _typed(client.StorageV1Api, "volume_attributes_class"),
    "csinodes": _typed(client.StorageV1Api, "csi_node"),
    "persistentvolumes": _typed(client.CoreV1Api, "persistent_volume"),
    "nodes": _typed(client.CoreV1Api, "node"),  # Node objects no kubelet backs, never a real one
    "csidrivers": _typed(client.StorageV1Api, "csi_driver"),
    "clustertrustbundles": _typed(client.CertificatesV1Api, "cluster_trust_bundle"),
    "volumeattachments": _typed(client.StorageV1Api, "volume_attachment"),
    "validatingadmissionpolicybindings": _typed(
        client.AdmissionregistrationV1Api, "validating_admission_policy_binding"
    ),
    "validatingadmissionpolicies": _typed(
        client.AdmissionregistrationV1Api, "validating_admission_policy"
    ),
    "mutatingadmissionpolicybindings": _typed(
        client.AdmissionregistrationV1Api, "mutating_admission_policy_binding"
    ),
    "mutatingadmissionpolicies": _typed(
        client.AdmissionregistrationV1Api, "mutating_admission_policy"
    ),
    "validatingwebhookconfigurations": _typed(
        client.AdmissionregistrationV1Api, "validating_webhook_configuration"
    ),
    "mutatingwebhookconfigurations": _typed(
        client.AdmissionregistrationV1Api, "mutating_webhook_configuration"
    ),
}

KINDS: dict[str, tuple[Lister, Deleter]] = {
    **API_OBJECT_KINDS,
    "customresourcedefinitions": (
        lambda k, s: k.extensions.list_custom_resource_definition(label_selector=s).items,
        lambda k, n: k.extensions.delete_custom_resource_definition(n),
    ),
    "certificatesigningrequests": (
        lambda k, s: k.certificates.list_certificate_signing_request(label_selector=s).items,
        lambda k, n: k.certificates.delete_certificate_signing_request(n),
    ),
    "flowschemas": (
        lambda k, s: k.flowcontrol.list_flow_schema(label_selector=s).items,
        lambda k, n: k.flowcontrol.delete_flow_schema(n),
    ),
    "prioritylevelconfigurations": (
        lambda k, s: k.flowcontrol.list_priority_level_configuration(label_selector=s).items,
        lambda k, n: k.flowcontrol.delete_priority_level_configuration(n),
    ),
    "clusterroles": (
        lambda k, s: k.rbac.list_cluster_role(label_selector=s).items,
        lambda k, n: k.rbac.delete_cluster_role(n),
    ),
    "clusterrolebindings": (
        lambda k, s: k.rbac.list_cluster_role_binding(label_selector=s).items,
        lambda k, n: k.rbac.delete_cluster_role_binding(n),
    ),
    "kube-system secrets": (
        _ns("kube-system"),
        lambda k, n: k.core.delete_namespaced_secret(n, "kube-system"),
    ),
    "kube-system rolebindings": (
        lambda k, s: k.rbac.list_namespaced_role_binding("kube-system", label_selector=s).items,
        lambda k, n: k.rbac.delete_namespaced_role_binding(n, "kube-system"),
    ),
    "apiservices": _typed(client.ApiregistrationV1Api, "api_service"),
    "namespaces": (
        lambda k, s: k.core.list_namespace(label_selector=s).items,
        lambda k, n: k.core.delete_namespace(n),
    ),
}


@dataclass
class Removed:
    """What a cleanup deleted (or found already being deleted), by kind."""

    objects: dict[str, list[str]] = field(default_factory=dict)
    node_marks: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.objects.values()) + len(self.node_marks)

    def summary(self) -> str:
        parts = [f"{len(v)} {kind}" for kind, v in self.objects.items() if v]
        if self.node_marks:
            parts.append(f"{len(self.node_marks)} node labels/taints")
        return ", ".join(parts) or "nothing"


def selector(run_id: str | None) -> str:
    return f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL


def cleanup(
    kube: Kube, run_id: str | None = None, *, include_terminating: bool = True, wait: float = 0.0
) -> Removed:
    """Delete what runs (or one run) left; optionally wait, bounded, for namespaces to go."""
    removed = Removed()
    label = selector(run_id)
    for kind, (lister, deleter) in KINDS.items():
        for item in _listed(kube, lister, label):
            terminating = item.metadata.deletion_timestamp is not None
            if terminating and not include_terminating:
                continue
            if not terminating:
                _delete(kube, deleter, item.metadata.name)
            removed.objects.setdefault(kind, []).append(str(item.metadata.name))
    if run_id is None:
        removed.node_marks = clean_nodes(kube)
    if wait > 0:
        wait_namespaces_gone(kube, label, wait)
    return removed


def _listed(kube: Kube, lister: Lister, label: str) -> list[Any]:
    """What ``lister`` finds; nothing where the server does not serve the kind at all (404 on
    a list): an older release's, which no run can have left anything in."""
    try:
        return list(lister(kube, label))
    except client.ApiException as exc:
        if exc.status == 404:
            return []
        raise


def _delete(kube: Kube, deleter: Deleter, name: str) -> None:
    try:
        deleter(kube, name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def clean_nodes(kube: Kube) -> list[str]:
    """Remove the suite's labels and taints (keys under kubeadm-verify.io/) from every node."""
    marks: list[str] = []
    for node in list_nodes(kube):
        name = node.metadata.name
        labels = [k for k in (node.metadata.labels or {}) if k.startswith(SUITE_PREFIX)]
        taints = node.spec.taints
        ours = [t for t in taints if t.key.startswith(SUITE_PREFIX)]
        if not labels and not ours:
            continue
        patch: dict[str, Any] = {}
        if labels:
            patch["metadata"] = {"labels": dict.fromkeys(labels)}
        if ours:
            patch["spec"] = {
                "taints": [
                    {"key": t.key, "value": t.value, "effect": t.effect}
                    for t in taints
                    if t not in ours
                ]
            }
        kube.core.patch_node(name, patch)
        marks += [f"{name}: label {k}" for k in labels]
        marks += [f"{name}: taint {t.key}" for t in ours]
    return marks


def wait_namespaces_gone(kube: Kube, label: str, timeout: float) -> list[str]:
    left: list[str] = []

    def none_left() -> bool:
        nonlocal left
        left = [n.metadata.name for n in kube.core.list_namespace(label_selector=label).items]
        return not left

    with contextlib.suppress(access.WaitTimedOut):
        access.wait_for(none_left, timeout, interval=0.5)
    return left
