"""Config acceptance side by side with the real ``kubeadm config validate`` (v1.37.2).

Each file of the table is given to kubeadm and to ``bootstrap.kubeadm.config.load_config``; both
must accept it or both refuse it, and where kubeadm's reason is stable text, ours names the same.
The expected verdict is written down too, so a kubeadm that fails for an unrelated reason (not
found, a crash) cannot make every row agree by refusing everything.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.kubeadm.config import load_config
from kubeadm_verify.errors import VerifyError

pytestmark = pytest.mark.integration

V4 = "apiVersion: kubeadm.k8s.io/v1beta4\n"
INIT = V4 + "kind: InitConfiguration\nnodeRegistration: {criSocket: unix:///run/kvboot.sock}\n"
CLUSTER = "---\n" + V4 + "kind: ClusterConfiguration\n"
JOIN = V4 + "kind: JoinConfiguration\nnodeRegistration: {criSocket: unix:///run/kvboot.sock}\n"
TOKEN = "abcdef.0123456789abcdef"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    accepted: bool
    reason: str = ""
    """Text both kubeadm's error and ours contain; empty where kubeadm's wording is Go's own."""


CASES = (
    Case("minimal", INIT + CLUSTER, True),
    Case(
        "extra-args-list",
        INIT + CLUSTER + "apiServer:\n  extraArgs:\n  - {name: anonymous-auth, value: 'false'}\n",
        True,
    ),
    Case(
        "extra-args-map",
        INIT + CLUSTER + "apiServer: {extraArgs: {anonymous-auth: 'false'}}\n",
        False,
    ),
    Case(
        "version-too-old",
        INIT + CLUSTER + "kubernetesVersion: v1.30.0\n",
        False,
        "control plane version >= 1.36.0",
    ),
    Case("version-minimum", INIT + CLUSTER + "kubernetesVersion: v1.36.0\n", True),
    Case("version-current", INIT + CLUSTER + "kubernetesVersion: v1.37.2\n", True),
    Case(
        "cri-socket-bare-path",
        V4 + "kind: InitConfiguration\nnodeRegistration: {criSocket: /run/kvboot.sock}\n" + CLUSTER,
        True,
    ),
    Case(
        "cri-socket-npipe",
        V4 + "kind: InitConfiguration\nnodeRegistration: "
        "{criSocket: 'npipe:////./pipe/x'}\n" + CLUSTER,
        True,
    ),
    Case(
        "cri-socket-other-scheme",
        V4 + "kind: InitConfiguration\nnodeRegistration: "
        "{criSocket: 'unixgram:///run/x'}\n" + CLUSTER,
        False,
        "only URL scheme",
    ),
    Case(
        "external-etcd",
        INIT + CLUSTER + "etcd:\n  external:\n"
        "    endpoints: [https://192.0.2.5:2379]\n    caFile: /etc/kvboot/ca.crt\n"
        "    certFile: /etc/kvboot/c.crt\n    keyFile: /etc/kvboot/c.key\n",
        True,
    ),
    Case(
        "external-etcd-plain-http",
        INIT + CLUSTER + "etcd:\n  external:\n    endpoints: [http://192.0.2.5:2379]\n",
        True,
    ),
    Case(
        "external-and-local-etcd",
        INIT + CLUSTER + "etcd:\n  local: {dataDir: /var/lib/etcd}\n"
        "  external: {endpoints: [https://192.0.2.5:2379]}\n",
        False,
        "mutually exclusive",
    ),
    Case(
        "external-etcd-no-endpoint",
        INIT + CLUSTER + "etcd: {external: {endpoints: []}}\n",
        False,
        "at least one endpoint must be specified",
    ),
    Case(
        "external-etcd-cert-no-key",
        INIT + CLUSTER + "etcd:\n  external:\n"
        "    endpoints: [https://192.0.2.5:2379]\n    caFile: /ca\n    certFile: /c\n",
        False,
        "either both or none",
    ),
    Case(
        "external-etcd-http-with-ca",
        INIT + CLUSTER + "etcd:\n  external:\n"
        "    endpoints: [http://192.0.2.5:2379]\n    caFile: /ca\n",
        False,
        "HTTPS scheme",
    ),
    Case("unknown-top-field", INIT + CLUSTER + "bogusField: 1\n", False, "unknown field"),
    Case(
        "unknown-nested-field",
        INIT + CLUSTER + "apiServer: {timeoutForControlPlane: 4m}\n",
        False,
        "unknown field",
    ),
    Case(
        "known-unused-fields",
        INIT + "dryRun: false\n" + CLUSTER + "imageRepository: "
        "registry.k8s.io\ndns: {disabled: false}\nproxy: {disabled: false}\n",
        True,
    ),
    Case(
        "join-worker",
        JOIN
        + "discovery:\n  bootstrapToken:\n    token: "
        + TOKEN
        + "\n    apiServerEndpoint: 192.0.2.1:6443\n    unsafeSkipCAVerification: true\n",
        True,
    ),
    Case("bad-token", INIT + f"bootstrapTokens: [{{token: {TOKEN[:-1]}}}]\n" + CLUSTER, False),
    Case(
        "bad-advertise-address",
        INIT + "localAPIEndpoint: {advertiseAddress: example.test}\n" + CLUSTER,
        False,
    ),
    Case(
        "bad-service-subnet", INIT + CLUSTER + "networking: {serviceSubnet: 10.96.0.0/99}\n", False
    ),
    Case(
        "bad-node-name",
        V4 + "kind: InitConfiguration\nnodeRegistration: {name: Node_1, "
        "criSocket: unix:///run/kvboot.sock}\n" + CLUSTER,
        False,
    ),
    Case(
        "bad-token-usage",
        INIT + "bootstrapTokens: [{usages: [signing, forging]}]\n" + CLUSTER,
        False,
    ),
    Case("bad-encryption-algorithm", INIT + CLUSTER + "encryptionAlgorithm: DSA\n", False),
    Case("bad-duration", INIT + CLUSTER + "certificateValidityPeriod: 1y\n", False),
    Case(
        "kubelet-component-config",
        INIT + CLUSTER + "---\napiVersion: "
        "kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
        True,
    ),
    Case(
        "foreign-api-document",
        INIT + CLUSTER + "---\napiVersion: example.test/v1\nkind: Thing\n",
        False,
        "unknown configuration APIs",
    ),
    Case(
        "v1beta3",
        "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n",
        False,
        "old API spec",
    ),
    Case("not-yaml", INIT + "nodeRegistration: {name: [\n", False),
)


@pytest.fixture(scope="module")
def kubeadm() -> Path:
    from bootstrap.upstream.binaries import ensure_binaries

    return ensure_binaries(source="build") / "kubeadm"


def kubeadm_verdict(kubeadm: Path, path: Path) -> tuple[bool, str]:
    done = subprocess.run(
        [str(kubeadm), "config", "validate", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0, done.stderr.strip()


def our_verdict(path: Path) -> tuple[bool, str]:
    try:
        load_config(path)
    except VerifyError as error:
        return False, str(error)
    return True, ""


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_we_accept_and_refuse_what_kubeadm_does(case: Case, kubeadm: Path, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.yaml"
    path.write_text(case.text)
    theirs, their_reason = kubeadm_verdict(kubeadm, path)
    ours, our_reason = our_verdict(path)
    assert theirs == case.accepted, f"kubeadm: {their_reason or 'ok'}"
    assert ours == theirs, f"kubeadm: {their_reason or 'ok'}; ours: {our_reason or 'ok'}"
    if case.reason:
        assert case.reason in their_reason and case.reason in our_reason, (their_reason, our_reason)


def test_our_own_ports_document_is_the_one_documented_difference(
    kubeadm: Path, tmp_path: Path
) -> None:
    """``config validate`` refuses any API it does not know, ours included; ``kubeadm init``
    only warns and ignores it, and we read it (it moves the ports kubeadm fixes)."""
    path = tmp_path / "local.yaml"
    path.write_text(
        INIT + CLUSTER + "---\napiVersion: kubeadm-verify/v1alpha1\n"
        "kind: LocalClusterConfiguration\nports: {etcdClient: 0}\n"
    )
    theirs, reason = kubeadm_verdict(kubeadm, path)
    assert not theirs and "unknown configuration APIs" in reason
    assert our_verdict(path) == (True, "")
