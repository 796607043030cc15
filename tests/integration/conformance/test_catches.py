"""It catches what is broken: clusters misconfigured on purpose fail the right tests, only those.

Each bring-up is a kubeadm v1beta4 configuration (the real ``extraArgs`` of its components, as
``kubeadm init`` would run them) that ``kubeadm-verify cluster --up --config`` brings up, then
runs the tests its faults can touch. Every other test of each fault's focus must pass. With
``KUBEADM_VERIFY_WRITE_CATCHES=<path>`` the observed table (fault → failing tests) is written
there as Markdown (``conformance/CATCHES.md``): run this file alone for that, so that one
process sees every bring-up (the whole suite hands the bring-ups to different workers).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conformance.catches_table import (
    BringUp,
    Fault,
    Observed,
    failing,
    render,
    verdicts,
)
from tests.integration.conformance.conftest import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.spread]  # a cluster per case
AUTH = r"^(auth|kubeadm)/"
KCM = "controllerManager"


def without(*names: str) -> tuple[tuple[str, str], ...]:
    """``controllers=*,-a,-b``: kubeadm's bootstrapsigner,tokencleaner go too, as with kubeadm."""
    return (("controllers", ",".join(["*", *(f"-{name}" for name in names)])),)


KUBEADM_OBJECTS = (
    r"^kubeadm/"
    r"(?!(node|service-account|front-proxy|privileged|controller|scheduler|etcd)-)"
)
"""kubeadm's objects, not its flags: without the namespace controller no namespace goes, so the
session's end waits its whole minute for them in the last test of each worker, and a short test
would time out there."""
ADMISSION_OFF = (
    "LimitRanger,ResourceQuota,RuntimeClass,ValidatingAdmissionPolicy,MutatingAdmissionPolicy"
)
"""Admission plugins kubeadm's API server runs by default, each observed by its own test."""
ETCD_NOTE = (
    "etcd asks for a client certificate whenever it is given a trusted CA, so "
    "`client-cert-auth=false` alone still refuses (observed): kubeadm sets both"
)


def fault(name: str, what: str, flag: str, focus: str, *expected: str, note: str = "") -> Fault:
    return Fault(name, what, flag, focus, frozenset(expected), note)


BRING_UPS = [
    BringUp(
        "kvcatch-always-allow",
        "apiServer",
        (("authorization-mode", "AlwaysAllow"),),
        (
            fault(
                "always-allow",
                "authorizer too permissive (AlwaysAllow)",
                "authorization-mode=AlwaysAllow",
                r"^(auth|kubeadm)/(?!controller-service-accounts$)",
                "auth/rbac-allow-deny",
                "auth/anonymous-limited",
                "kubeadm/bootstrap-signer",
                "kubeadm/bootstrap-token-auth",
                "kubeadm/cluster-info-anonymous",
                "kubeadm/node-authorizer",
                "auth/bound-service-account-token",
                "kubeadm/controller-manager-port",
                "kubeadm/scheduler-port",
                note="kube-apiserver turns anonymous authentication off when AlwaysAllow is its "
                "only authorizer, so kubeadm join's anonymous discovery fails as well; the "
                "controller-manager and scheduler ask the API server whether anonymous may "
                "read their /metrics, and it says yes",
            ),
            fault(
                "no-controller-accounts",
                "controllers act as the controller-manager's own user",
                "use-service-account-credentials=false",
                r"^kubeadm/controller-service-accounts$|^api-machinery/server-version$",
                "kubeadm/controller-service-accounts",
                note="brought up beside AlwaysAllow: under RBAC the controller-manager's own user "
                "may read everything but write almost nothing, so with this flag alone most "
                "controllers stall and most rows would fail",
            ),
        ),
        also=((KCM, (("use-service-account-credentials", "false"),)),),
        parallel=2,
    ),
    BringUp(
        "kvcatch-apiserver",
        "apiServer",
        (
            ("anonymous-auth", "false"),
            ("enable-bootstrap-token-auth", "false"),
            ("disable-admission-plugins", ADMISSION_OFF),
            ("enable-admission-plugins", "NamespaceLifecycle"),
            ("service-account-issuer", "https://kubeadm-verify.invalid"),
            ("requestheader-allowed-names", "kubeadm-verify-proxy"),
        ),
        (
            fault(
                "anonymous-off",
                "anonymous authentication off",
                "anonymous-auth=false",
                r"^kubeadm/cluster-info|^auth/(anonymous-limited|subject-access-review)$",
                "kubeadm/cluster-info-anonymous",
            ),
            fault(
                "token-auth-off",
                "bootstrap-token authentication off",
                "enable-bootstrap-token-auth=false",
                r"^kubeadm/bootstrap-token|^auth/(self-subject-review|token-request-review)$",
                "kubeadm/bootstrap-token-auth",
            ),
            fault(
                "admission-off",
                "LimitRanger, ResourceQuota, RuntimeClass and the admission policies off",
                f"disable-admission-plugins={ADMISSION_OFF}",
                r"^api-machinery/(resource-quota|(validating|mutating)-admission-policy(-api)?)$"
                r"|^scheduling/|^node/runtimeclass-",
                "api-machinery/resource-quota",
                "scheduling/limit-range",
                "api-machinery/validating-admission-policy",
                "api-machinery/mutating-admission-policy",
                "node/runtimeclass-admission",
            ),
            fault(
                "no-node-restriction",
                "NodeRestriction admission off",
                "enable-admission-plugins=NamespaceLifecycle",
                r"^kubeadm/node-(authorizer|restriction)$",
                "kubeadm/node-restriction",
            ),
            fault(
                "other-issuer",
                "another ServiceAccount issuer",
                "service-account-issuer=https://kubeadm-verify.invalid",
                r"^kubeadm/service-account-issuer$|^auth/bound-service-account-token$",
                "kubeadm/service-account-issuer",
            ),
            fault(
                "front-proxy-name",
                "front-proxy trusted under another name",
                "requestheader-allowed-names=kubeadm-verify-proxy",
                r"^kubeadm/front-proxy-trust$|^api-machinery/discovery$",
                "kubeadm/front-proxy-trust",
            ),
        ),
        parallel=4,
    ),
    BringUp(
        "kvcatch-controllers-a",
        KCM,
        without(
            "garbage-collector-controller",
            "daemonset-controller",
            "statefulset-controller",
            "cronjob-controller",
            "certificatesigningrequest-signing-controller",
            "endpointslice-controller",
            "disruption-controller",
            "taint-eviction-controller",
        ),
        (
            fault(
                "no-disruption-controller",
                "disruption controller off",
                "-disruption-controller",
                r"^apps/pdb-|^api-machinery/discovery$",
                "apps/pdb-api",
            ),
            fault(
                "gc-off",
                "garbage collector off",
                "-garbage-collector-controller",
                r"^api-machinery/(gc-|namespace-lifecycle$|watch-)",
                "api-machinery/gc-background",
                "api-machinery/gc-orphan",
                "api-machinery/gc-foreground",
            ),
            fault(
                "no-daemonsets",
                "DaemonSet controller off",
                "-daemonset-controller",
                r"^apps/(daemonset-|replicaset-)",
                "apps/daemonset-placement",
            ),
            fault(
                "no-statefulsets",
                "StatefulSet controller off",
                "-statefulset-controller",
                r"^apps/(statefulset-|deployment-)",
                "apps/statefulset-ordering",
                "apps/statefulset-api",
            ),
            fault(
                "no-cronjobs",
                "CronJob controller off",
                "-cronjob-controller",
                r"^apps/(cronjob-|job-completion$)",
                "apps/cronjob-schedule",
            ),
            fault(
                "no-csr-signing",
                "CSR signing controller off",
                "-certificatesigningrequest-signing-controller",
                r"^auth/",
                "auth/csr-signing",
            ),
            fault(
                "no-endpointslices",
                "EndpointSlice controller off",
                "-endpointslice-controller",
                r"^network/",
                "network/endpointslices",
                "network/endpointslices-follow-pods",
                "network/empty-selector-endpoints",
                "network/service-endpoints-latency",
            ),
            fault(
                "no-taint-eviction",
                "taint-eviction controller off",
                "-taint-eviction-controller",
                r"^node/(taint-eviction|node-object-lifecycle)$",
                "node/taint-eviction",
            ),
            fault(
                "etcd-peers-without-certificates",
                "etcd peers let in without a certificate",
                "peer-client-cert-auth=false, peer-trusted-ca-file=",
                r"^kubeadm/(etcd-client-certificates|networking)$",
                "kubeadm/etcd-client-certificates",
                note=ETCD_NOTE,
            ),
        ),
        also=(("etcd", (("peer-client-cert-auth", "false"), ("peer-trusted-ca-file", ""))),),
        parallel=6,
    ),
    BringUp(
        "kvcatch-controllers-b",
        KCM,
        (
            *without(
                "root-ca-certificate-publisher-controller",
                "deployment-controller",
                "job-controller",
                "resourcequota-controller",
            ),
            ("bind-address", "0.0.0.0"),  # noqa: S104 (the fault: a flag, nothing binds here)
        ),
        (
            fault(
                "no-root-ca-publisher",
                "root CA publisher off",
                "-root-ca-certificate-publisher-controller",
                r"^auth/|^kubeadm/ca-pin$",
                "auth/kube-root-ca",
                "auth/csr-signing",
                "kubeadm/ca-pin",
            ),
            fault(
                "no-deployments",
                "Deployment controller off",
                "-deployment-controller",
                r"^apps/(deployment-|replicaset-)|^api-machinery/gc-",
                "apps/deployment-rollout-rollback",
                "apps/deployment-status",
                "api-machinery/gc-background",
                "api-machinery/gc-orphan",
            ),
            fault(
                "no-jobs",
                "Job controller off",
                "-job-controller",
                r"^apps/(job-|cronjob-)",
                "apps/job-completion",
                "apps/job-api",
            ),
            fault(
                "no-quota-controller",
                "ResourceQuota controller off",
                "-resourcequota-controller",
                r"^api-machinery/resource-quota$|^scheduling/limit-range$",
                "api-machinery/resource-quota",
            ),
            fault(
                "controller-manager-exposed",
                "controller-manager bound beyond the loopback",
                "bind-address=0.0.0.0",
                r"^kubeadm/(controller-manager-port|kubeadm-config)$",
                "kubeadm/controller-manager-port",
            ),
            fault(
                "scheduler-no-authorization",
                "scheduler without delegated authorisation",
                "authorization-kubeconfig=",
                r"^kubeadm/(scheduler-port|kubelet-config)$",
                "kubeadm/scheduler-port",
            ),
            fault(
                "etcd-clients-without-certificates",
                "etcd clients let in without a certificate",
                "client-cert-auth=false, trusted-ca-file=",
                r"^kubeadm/(etcd-client-certificates|coredns-objects)$",
                "kubeadm/etcd-client-certificates",
                note=ETCD_NOTE,
            ),
        ),
        also=(
            ("scheduler", (("authorization-kubeconfig", ""),)),
            ("etcd", (("client-cert-auth", "false"), ("trusted-ca-file", ""))),
        ),
        parallel=4,
    ),
    BringUp(
        "kvcatch-namespace-off",
        KCM,
        without("namespace-controller"),
        (
            fault(
                "no-namespace-controller",
                "namespace controller off",
                "-namespace-controller",
                r"^api-machinery/(namespace-lifecycle|server-version|flowschema-api)$",
                "api-machinery/namespace-lifecycle",
            ),
            fault(
                "no-signers",
                "kubeadm's bootstrapsigner and tokencleaner off (any `controllers=*,-<name>`)",
                "controllers=*,…",
                KUBEADM_OBJECTS,
                "kubeadm/cluster-info",
                "kubeadm/cluster-info-signatures",
                "kubeadm/bootstrap-signer",
                "kubeadm/token-cleaner",
            ),
        ),
        parallel=4,
    ),
    BringUp(
        "kvcatch-serviceaccount-off",
        KCM,
        without("serviceaccount-controller"),
        (
            fault(
                "no-serviceaccounts",
                "ServiceAccount controller off",
                "-serviceaccount-controller",
                r"^api-machinery/(namespace-lifecycle|server-version)$|^auth/token-request-review$"
                r"|^apps/replicaset-scale$",
                "api-machinery/namespace-lifecycle",
                "apps/replicaset-scale",
                note="the ServiceAccount admission plugin refuses every pod of a namespace "
                "without its `default` ServiceAccount, so no workload runs in a new one",
            ),
            fault(
                "no-node-authorizer",
                "Node authorizer off",
                "authorization-mode=RBAC",
                r"^kubeadm/node-(authorizer|restriction)$|^auth/rbac-allow-deny$",
                "kubeadm/node-authorizer",
                "kubeadm/node-restriction",
                note="RBAC grants nodes nothing, so without the Node authorizer a node may not "
                "even label its own Node, and what NodeRestriction refuses cannot be seen",
            ),
        ),
        also=(("apiServer", (("authorization-mode", "RBAC"),)),),
        parallel=2,
    ),
]

OBSERVED = Observed()


@pytest.fixture(scope="module", autouse=True)
def catch_table() -> Iterator[None]:
    yield
    target = os.environ.get("KUBEADM_VERIFY_WRITE_CATCHES")
    if target and OBSERVED.runs:
        Path(target).write_text(render(BRING_UPS, OBSERVED))


def test_faults_sharing_a_bring_up_judge_disjoint_tests() -> None:
    """A test in two rows' focus would let one fault's failure stand in another's row."""
    from conformance.standard_base.listing import collect_entries

    ids = [entry.spec.id for entry in collect_entries()]
    assert ids
    for bring_up in BRING_UPS:
        for test_id in ids:
            owners = [f.name for f in bring_up.faults if f.selects(test_id)]
            assert len(owners) <= 1, f"{bring_up.name}: {test_id} is in {owners}"


@pytest.mark.parametrize("bring_up", BRING_UPS, ids=[b.name for b in BRING_UPS])
def test_a_misconfigured_cluster_fails_the_right_tests(bring_up: BringUp, tmp_path: Path) -> None:
    config = tmp_path / f"{bring_up.name}.yaml"
    config.write_text(bring_up.config())
    start = time.monotonic()
    run = run_cli(
        "--up",
        "--config",
        str(config),
        "--focus",
        bring_up.focus,
        "--parallel",
        str(bring_up.parallel),
        output=tmp_path / "out",
    )
    took = time.monotonic() - start
    assert run.code in (0, 1), run.stderr[-3000:]
    OBSERVED.runs[bring_up.name] = (run, took)
    messages = {c["id"]: c["message"] for c in run.results["checks"]}
    wrong = {}
    for each in bring_up.faults:
        found = set(failing(run, each))
        if found != each.expected:
            wrong[each.name] = {
                t: messages[t][:300] for t in found ^ each.expected if t in messages
            }
        assert "pass" in verdicts(run, each).values(), f"{each.name}: nothing else passed"
    assert not wrong, f"rows failing other tests than expected: {wrong}"
    assert run.code == 1
