"""What ``kubeadm init`` configures on purpose, each default with where it is set and what sees it.

Read from kubeadm v1.37.2 (``k8s.io/kubernetes@v1.37.2/cmd/kubeadm/app/``): the control plane's
command lines (``phases/controlplane/manifests.go``, ``phases/etcd/local.go``), the kubelet's
configuration (``componentconfigs/kubelet.go``) and the RBAC kubeadm creates
(``phases/bootstraptoken/...``). Where the CIS Kubernetes Benchmark (v1.10, as kube-bench audits
it) has a control for the same setting it is named; where it asks for something else, kubeadm
wins and the item says so. Each item names the Standard Base tests that observe the default from
outside (through the API, a node's identity, a token, a port), never by reading the flag; a unit
test holds every named test to exist.
"""

from __future__ import annotations

from dataclasses import dataclass

MANIFESTS = "phases/controlplane/manifests.go"
ETCD = "phases/etcd/local.go"
KUBELET = "componentconfigs/kubelet.go"
TLS_BOOTSTRAP = "phases/bootstraptoken/node/tlsbootstrap.go"
CLUSTER_INFO = "phases/bootstraptoken/clusterinfo/clusterinfo.go"
SOURCE_ROOT = "k8s.io/kubernetes@v1.37.2/cmd/kubeadm/app/"


@dataclass(frozen=True)
class Default:
    """One default: ``id`` to cite, ``sets`` what kubeadm sets, ``source`` file:line under
    :data:`SOURCE_ROOT`, ``cis`` the benchmark control (empty: none), ``tests`` the ids of the
    tests that see it, ``note`` where kubeadm and the benchmark part ways."""

    id: str
    component: str
    sets: str
    source: str
    tests: tuple[str, ...]
    cis: str = ""
    note: str = ""


DEFAULTS: tuple[Default, ...] = (
    Default(
        "authorization-node",
        "kube-apiserver",
        "`--authorization-mode=Node,RBAC`: Node",
        f"{MANIFESTS}:277",
        ("kubeadm/node-authorizer",),
        "1.2.7",
    ),
    Default(
        "authorization-rbac",
        "kube-apiserver",
        "`--authorization-mode=Node,RBAC`: RBAC, never AlwaysAllow",
        f"{MANIFESTS}:277",
        (
            "auth/rbac-allow-deny",
            "auth/anonymous-limited",
            "auth/bound-service-account-token",
            "kubeadm/bootstrap-token-auth",
        ),
        "1.2.6, 1.2.8",
    ),
    Default(
        "admission-node-restriction",
        "kube-apiserver",
        "`--enable-admission-plugins=NodeRestriction`",
        f"{MANIFESTS}:188",
        ("kubeadm/node-restriction",),
        "1.2.14",
    ),
    Default(
        "anonymous-cluster-info",
        "kube-apiserver",
        "anonymous requests left on (the binary's default) and bound only to read "
        "`kube-public/cluster-info`",
        f"{CLUSTER_INFO}:83",
        ("kubeadm/cluster-info-anonymous", "auth/anonymous-limited"),
        "1.2.1",
        "CIS 1.2.1 asks for `--anonymous-auth=false`; kubeadm keeps anonymous requests on "
        "because `kubeadm join` discovers the cluster through an anonymous read of "
        "cluster-info. kubeadm wins: anonymous may read that and nothing more",
    ),
    Default(
        "bootstrap-token-auth",
        "kube-apiserver",
        "`--enable-bootstrap-token-auth=true`",
        f"{MANIFESTS}:198",
        ("kubeadm/bootstrap-token-auth",),
    ),
    Default(
        "client-ca",
        "kube-apiserver",
        "`--client-ca-file` = the cluster CA",
        f"{MANIFESTS}:193",
        ("auth/csr-signing",),
        "1.2.25",
    ),
    Default(
        "service-account-issuer",
        "kube-apiserver",
        "`--service-account-issuer=https://kubernetes.default.svc.<dnsDomain>`, "
        "`--service-account-key-file`/`--service-account-signing-key-file` = `sa.pub`/`sa.key`",
        f"{MANIFESTS}:190",
        ("kubeadm/service-account-issuer",),
        "1.2.22",
    ),
    Default(
        "bound-service-account-tokens",
        "kube-apiserver",
        "`--service-account-signing-key-file`: TokenRequest issues bound, expiring tokens",
        f"{MANIFESTS}:191",
        ("auth/bound-service-account-token", "auth/token-request-review"),
    ),
    Default(
        "front-proxy",
        "kube-apiserver",
        "`--requestheader-allowed-names=front-proxy-client`, `X-Remote-*` headers, "
        "`--requestheader-client-ca-file` = the front-proxy CA",
        f"{MANIFESTS}:204",
        ("kubeadm/front-proxy-trust",),
    ),
    Default(
        "allow-privileged",
        "kube-apiserver",
        "`--allow-privileged=true`",
        f"{MANIFESTS}:200",
        ("kubeadm/privileged-pods-allowed",),
        "",
        "no CIS control asks for it off at the API server (its 5.2 controls police "
        "workloads by admission policy); kubeadm's kube-proxy needs it: with "
        "`--allow-privileged=false` `kubeadm init` itself fails, its kube-proxy DaemonSet "
        "refused",
    ),
    Default(
        "kubelet-client-certificate",
        "kube-apiserver",
        "`--kubelet-client-certificate`/`--kubelet-client-key` = `apiserver-kubelet-client`",
        f"{MANIFESTS}:196",
        ("node/logs", "node/exec"),
        "1.2.4",
    ),
    Default(
        "controller-service-accounts",
        "kube-controller-manager",
        "`--use-service-account-credentials=true`",
        f"{MANIFESTS}:361",
        ("kubeadm/controller-service-accounts",),
        "1.3.3",
    ),
    Default(
        "cluster-signing",
        "kube-controller-manager",
        "`--cluster-signing-cert-file`/`--cluster-signing-key-file` = the cluster CA",
        f"{MANIFESTS}:359",
        ("auth/csr-signing",),
    ),
    Default(
        "root-ca-file",
        "kube-controller-manager",
        "`--root-ca-file` = the cluster CA",
        f"{MANIFESTS}:357",
        ("auth/kube-root-ca", "kubeadm/ca-pin"),
        "1.3.5",
    ),
    Default(
        "bootstrap-controllers",
        "kube-controller-manager",
        "`--controllers=*,bootstrapsigner,tokencleaner`",
        f"{MANIFESTS}:362",
        ("kubeadm/bootstrap-signer", "kubeadm/token-cleaner", "kubeadm/cluster-info-signatures"),
    ),
    Default(
        "controller-manager-loopback",
        "kube-controller-manager",
        "`--bind-address=127.0.0.1`; `--authentication-kubeconfig`/"
        "`--authorization-kubeconfig` = its kubeconfig",
        f"{MANIFESTS}:350",
        ("kubeadm/controller-manager-port",),
        "1.3.7",
    ),
    Default(
        "scheduler-loopback",
        "kube-scheduler",
        "`--bind-address=127.0.0.1`; `--authentication-kubeconfig`/"
        "`--authorization-kubeconfig` = its kubeconfig",
        f"{MANIFESTS}:397",
        ("kubeadm/scheduler-port",),
        "1.4.2",
    ),
    Default(
        "etcd-client-cert-auth",
        "etcd",
        "`--client-cert-auth=true`, `--trusted-ca-file` "
        "= the etcd CA; clients on 127.0.0.1 and the advertise address",
        f"{ETCD}:258",
        ("kubeadm/etcd-client-certificates",),
        "2.2",
        "etcd requires a client certificate when either is set: `--client-cert-auth=false` "
        "alone still refuses, as observed",
    ),
    Default(
        "etcd-peer-client-cert-auth",
        "etcd",
        "`--peer-client-cert-auth=true`, `--peer-trusted-ca-file` = the etcd CA",
        f"{ETCD}:262",
        ("kubeadm/etcd-client-certificates",),
        "2.5",
    ),
    Default(
        "etcd-metrics-loopback",
        "etcd",
        "`--listen-metrics-urls=http://127.0.0.1:2381`: its only plain HTTP, on the loopback",
        f"{ETCD}:264",
        ("kubeadm/etcd-client-certificates",),
    ),
    Default(
        "kubelet-anonymous-off",
        "kubelet",
        "`authentication.anonymous.enabled: false`",
        f"{KUBELET}:152",
        ("node/kubelet-api-refuses-anonymous",),
        "4.2.1",
    ),
    Default(
        "kubelet-webhook-auth",
        "kubelet",
        "`authentication.webhook.enabled: true`, `authorization.mode: Webhook`",
        f"{KUBELET}:160",
        ("node/kubelet-api-refuses-unauthorised",),
        "4.2.2",
    ),
    Default(
        "kubelet-read-only-port-off",
        "kubelet",
        "`readOnlyPort: 0`",
        f"{KUBELET}:39",
        ("node/kubelet-read-only-port",),
        "4.2.4",
    ),
    Default(
        "bootstrap-token-rbac",
        "RBAC",
        "bootstrap tokens may post CSRs, get nodes and have node client CSRs auto-approved; "
        "nodes may renew their own",
        f"{TLS_BOOTSTRAP}:31",
        ("kubeadm/bootstrap-token", "kubeadm/bootstrap-token-auth"),
    ),
)

NOT_SET: tuple[tuple[str, str], ...] = (
    (
        "`--profiling=false` (CIS 1.2.15, 1.3.2, 1.4.1)",
        "kubeadm leaves profiling at the "
        "binaries' default (on, behind authorisation); the Standard Base does not ask for it",
    ),
    ("`--audit-log-*` (CIS 1.2.16-1.2.19)", "kubeadm writes no audit policy"),
    (
        "`--kubelet-certificate-authority` (CIS 1.2.5)",
        "kubeadm's kubelets serve self-signed "
        "certificates unless `serverTLSBootstrap` is set, so the API server cannot verify them",
    ),
)
"""Benchmark controls kubeadm v1.37.2 does not satisfy by default: not defaults to observe."""


def observing_tests() -> set[str]:
    """Every test id the list names."""
    return {test for item in DEFAULTS for test in item.tests}
