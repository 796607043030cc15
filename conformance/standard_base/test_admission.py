"""Admission policies in CEL, evaluated by the API server itself: a ValidatingAdmissionPolicy
really denies what it forbids (and only that), a MutatingAdmissionPolicy really changes what it
matches, and both kinds of policy and binding support every API operation.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import ClusterResource, Exercise
from conformance.standard_base.kube import Kube, server_said, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-api-machinery]"
VAP = f"{SIG} ValidatingAdmissionPolicy [Privileged:ClusterAdmin]"
MAP = f"{SIG} MutatingAdmissionPolicy [Privileged:ClusterAdmin]"
GROUP = "admissionregistration.k8s.io"
POLICY_TAKES_EFFECT_S = 10  # the API server's policy informers pick a new policy up in ~1 s
Manifest = dict[str, Any]


def _deployments_in(label: str) -> Manifest:
    """Match constraints: apps/v1 Deployments in namespaces carrying ``label=true``."""
    return {
        "namespaceSelector": {"matchLabels": {label: "true"}},
        "resourceRules": [
            {
                "apiGroups": ["apps"],
                "apiVersions": ["v1"],
                "resources": ["deployments"],
                "operations": ["CREATE", "UPDATE"],
            }
        ],
    }


@contextmanager
def _policy(
    kube: Kube, kind: str, spec: Manifest, binding_spec: Manifest, run_id: str
) -> Iterator[str]:
    """A policy of ``kind`` (``Validating``/``Mutating``) and its binding, deleted afterwards."""
    plural = f"{kind.lower()}admissionpolicies"
    bindings = f"{kind.lower()}admissionpolicybindings"
    name = f"{b.unique('kv')}.policy.example.com"
    labels = b.run_labels(run_id)
    api = kube.custom
    api.create_cluster_custom_object(
        GROUP,
        "v1",
        plural,
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": f"{kind}AdmissionPolicy",
            "metadata": b.metadata(name, labels),
            "spec": spec,
        },
    )
    try:
        api.create_cluster_custom_object(
            GROUP,
            "v1",
            bindings,
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": f"{kind}AdmissionPolicyBinding",
                "metadata": b.metadata(name, labels),
                "spec": {"policyName": name, **binding_spec},
            },
        )
        try:
            yield name
        finally:
            api.delete_cluster_custom_object(GROUP, "v1", bindings, name)
    finally:
        api.delete_cluster_custom_object(GROUP, "v1", plural, name)


def _label_namespace(kube: Kube, namespace: str) -> str:
    label = f"kubeadm-verify.io/policy-{secrets.token_hex(4)}"
    kube.core.patch_namespace(namespace, {"metadata": {"labels": {label: "true"}}})
    return label


def _create(kube: Kube, namespace: str, name: str, replicas: int) -> Any:
    return kube.apps.create_namespaced_deployment(
        namespace, b.deployment(name, {"app": name}, replicas, paused=True)
    )


def _denied(kube: Kube, namespace: str, replicas: int) -> client.ApiException | None:
    """The refusal of a marker Deployment of ``replicas`` (None, and it is removed, if allowed)."""
    try:
        _create(kube, namespace, "marker-deployment", replicas)
    except client.ApiException as exc:
        return exc
    kube.apps.delete_namespaced_deployment("marker-deployment", namespace)
    return None


def _status_message(error: client.ApiException) -> str:
    """The whole message of the server's Status (to judge; a failure shows ``server_said``)."""
    try:
        status = json.loads(error.body or b"")
    except ValueError:
        return ""
    return str(status.get("message", "")) if isinstance(status, dict) else ""


def _check_denies(
    kube: Kube, namespace: str, marker: int, allowed: int, message: Callable[[str], bool]
) -> None:
    """Once the policy is in force (a ``marker`` Deployment is refused with a message only this
    policy gives: a policy deleted a moment ago may still be in force), 1 replica is refused
    (422 Invalid), ``allowed`` replicas are created, and a ReplicaSet of 1 replica, which the
    policy does not match, is created."""

    def refused_now() -> bool:
        error = _denied(kube, namespace, marker)
        return error is not None and message(_status_message(error))

    replicas = "1 replica" if marker == 1 else f"{marker} replicas"
    wait_for(f"the policy to deny a Deployment of {replicas}", refused_now, POLICY_TAKES_EFFECT_S)
    error = _denied(kube, namespace, 1)
    assert error is not None, "the policy admitted a Deployment of 1 replica"
    assert error.status == 422, (
        f"the policy's denial: expected 422 Invalid, got {error.status}: {server_said(error.body)}"
    )
    _create(kube, namespace, "replicated", allowed)
    kube.apps.create_namespaced_replica_set(
        namespace, b.replica_set("non-replicated", {"app": "non-replicated"}, 1)
    )


@standard_base(
    id="api-machinery/validating-admission-policy",
    conformance=[
        f"{VAP} should validate against a Deployment [Conformance]",
        f"{VAP} should allow expressions to refer variables. [Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=45,
)
def test_validating_admission_policy(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A ValidatingAdmissionPolicy bound with Deny refuses (422) the Deployments its CEL
    validations fail, with its message expression, and admits the others and other kinds; CEL
    variables can be composed and used in validations.
    """
    label = _label_namespace(kube, kv_namespace)
    binding = {
        "matchResources": {"namespaceSelector": {"matchLabels": {label: "true"}}},
        "validationActions": ["Deny"],
    }
    plain = {
        "matchConstraints": _deployments_in(label),
        "validations": [
            {
                "expression": "object.spec.replicas > 1",
                "messageExpression": "'wants replicas > 1, got ' + string(object.spec.replicas)",
            },
            {
                "expression": f"namespaceObject.metadata.name == '{kv_namespace}'",
                "message": "Internal error! Other namespace should not be allowed.",
            },
        ],
    }
    with _policy(kube, "Validating", plain, binding, run_id):
        _check_denies(kube, kv_namespace, 1, 2, lambda text: "wants replicas > 1, got 1" in text)
    for name in ("replicated",):
        kube.apps.delete_namespaced_deployment(name, kv_namespace)
    kube.apps.delete_namespaced_replica_set("non-replicated", kv_namespace)
    with_variables = {
        "matchConstraints": _deployments_in(label),
        "variables": [
            {"name": "replicas", "expression": "object.spec.replicas"},
            {"name": "oddReplicas", "expression": "variables.replicas % 2 == 1"},
        ],
        "validations": [
            {"expression": "variables.replicas > 1"},
            {"expression": "variables.oddReplicas"},
        ],
    }
    with _policy(kube, "Validating", with_variables, binding, run_id):
        # Only the variables' policy refuses 2 replicas, and says which expression failed.
        _check_denies(
            kube,
            kv_namespace,
            2,
            3,
            lambda text: "failed expression: variables.oddReplicas" in text,
        )


def _policy_labels(run_id: str) -> tuple[Manifest, str]:
    tag = secrets.token_hex(4)
    return (
        b.run_labels(run_id, **{"kubeadm-verify.io/api-ops": tag}),
        f"kubeadm-verify.io/api-ops={tag}",
    )


NO_MATCH = {
    "resourceRules": [
        {
            "apiGroups": ["kubeadm-verify.example.com"],
            "apiVersions": ["v1"],
            "resources": ["nothing"],
            "operations": ["CREATE"],
        }
    ]
}


@standard_base(
    id="api-machinery/validating-admission-policy-api",
    conformance=[
        f"{VAP} should support ValidatingAdmissionPolicy API operations [Conformance]",
        f"{VAP} should support ValidatingAdmissionPolicyBinding API operations [Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_validating_admission_policy_api(kube: Kube, run_id: str) -> None:
    """ValidatingAdmissionPolicies (their /status too) and their bindings are discovered and
    support every API operation.
    """
    labels, selector = _policy_labels(run_id)
    policy = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"generateName": "kv-policy-", "labels": labels},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": NO_MATCH,
            "validations": [{"expression": "true"}],
        },
    }

    def failure_policy(value: str) -> Callable[[Manifest], None]:
        def apply(obj: Manifest) -> None:
            obj["spec"]["failurePolicy"] = value

        return apply

    Exercise(
        kube,
        ClusterResource(GROUP, "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy"),
        policy,
        selector,
        spec_patch={"spec": {"failurePolicy": "Ignore"}},
        spec_check=lambda obj: obj["spec"]["failurePolicy"] == "Ignore",
        spec_update=failure_policy("Fail"),
        update_check=lambda obj: obj["spec"]["failurePolicy"] == "Fail",
        condition={
            "status": "False",
            "reason": "e2e",
            "message": "Set by kubeadm-verify",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        },
    ).run()

    def actions(value: str) -> Callable[[Manifest], None]:
        def apply(obj: Manifest) -> None:
            obj["spec"]["validationActions"] = [value]

        return apply

    binding = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"generateName": "kv-binding-", "labels": labels},
        "spec": {"policyName": "kv-no-such-policy", "validationActions": ["Deny"]},
    }
    Exercise(
        kube,
        ClusterResource(
            GROUP, "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", ()
        ),
        binding,
        selector,
        spec_patch={"spec": {"validationActions": ["Warn"]}},
        spec_check=lambda obj: obj["spec"]["validationActions"] == ["Warn"],
        spec_update=actions("Deny"),
        update_check=lambda obj: obj["spec"]["validationActions"] == ["Deny"],
    ).run()


@standard_base(
    id="api-machinery/mutating-admission-policy",
    conformance=[
        f"{MAP} should mutate a Deployment [Conformance]",
        f"{MAP} should mutate a Deployment with annotations [Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=30,
)
def test_mutating_admission_policy(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """A MutatingAdmissionPolicy's CEL apply configuration really changes the Deployments it
    matches: their replicas, and their annotations.
    """
    label = _label_namespace(kube, kv_namespace)
    binding = {"matchResources": {"namespaceSelector": {"matchLabels": {label: "true"}}}}

    def mutation(expression: str) -> Manifest:
        return {
            "matchConstraints": _deployments_in(label),
            "reinvocationPolicy": "Never",
            "mutations": [
                {
                    "patchType": "ApplyConfiguration",
                    "applyConfiguration": {"expression": expression},
                }
            ],
        }

    def mutated(check: Callable[[Any], bool]) -> Callable[[], bool]:
        def probe() -> bool:
            created = _create(kube, kv_namespace, "marker-deployment", 1)
            kube.apps.delete_namespaced_deployment("marker-deployment", kv_namespace)
            return check(created)

        return probe

    with _policy(
        kube, "Mutating", mutation("Object{spec: Object.spec{replicas: 1337}}"), binding, run_id
    ):
        wait_for(
            "the policy to set a new Deployment's replicas to 1337",
            mutated(lambda d: d.spec.replicas == 1337),
            POLICY_TAKES_EFFECT_S,
        )
    annotate = 'Object{metadata: Object.metadata{annotations: {"mutated-by": "admission-policy"}}}'
    with _policy(kube, "Mutating", mutation(annotate), binding, run_id):
        wait_for(
            "the policy to annotate a new Deployment",
            mutated(
                lambda d: (d.metadata.annotations or {}).get("mutated-by") == "admission-policy"
            ),
            POLICY_TAKES_EFFECT_S,
        )


@standard_base(
    id="api-machinery/mutating-admission-policy-api",
    conformance=[
        f"{MAP} should support MutatingAdmissionPolicy API operations [Conformance]",
        f"{MAP} should support MutatingAdmissionPolicyBinding API operations [Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=15,
)
def test_mutating_admission_policy_api(kube: Kube, run_id: str) -> None:
    """MutatingAdmissionPolicies and their bindings are discovered and support every API
    operation.
    """
    labels, selector = _policy_labels(run_id)
    policy = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"generateName": "kv-policy-", "labels": labels},
        "spec": {
            "reinvocationPolicy": "Never",
            "matchConstraints": NO_MATCH,
            "mutations": [
                {
                    "patchType": "ApplyConfiguration",
                    "applyConfiguration": {"expression": "Object{}"},
                }
            ],
        },
    }

    def reinvocation(value: str) -> Callable[[Manifest], None]:
        def apply(obj: Manifest) -> None:
            obj["spec"]["reinvocationPolicy"] = value

        return apply

    Exercise(
        kube,
        ClusterResource(GROUP, "v1", "mutatingadmissionpolicies", "MutatingAdmissionPolicy", ()),
        policy,
        selector,
        spec_patch={"spec": {"reinvocationPolicy": "IfNeeded"}},
        spec_check=lambda obj: obj["spec"]["reinvocationPolicy"] == "IfNeeded",
        spec_update=reinvocation("Never"),
        update_check=lambda obj: obj["spec"]["reinvocationPolicy"] == "Never",
    ).run()
    binding = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"generateName": "kv-binding-", "labels": labels},
        "spec": {"policyName": "kv-no-such-policy"},
    }
    Exercise(
        kube,
        ClusterResource(
            GROUP, "v1", "mutatingadmissionpolicybindings", "MutatingAdmissionPolicyBinding", ()
        ),
        binding,
        selector,
        spec_patch={"spec": {"policyName": "kv-other-policy"}},
        spec_check=lambda obj: obj["spec"]["policyName"] == "kv-other-policy",
    ).run()
