"""How the kubeadm tests read kubeadm's preflight output and line it up with the node tier's
verdicts: a check kubeadm does not name passed, one it names warned (or failed), what it says
after preflight is not a verdict, and a check only one side has is never a silent agreement."""

from __future__ import annotations

from typing import Any

from tests.integration.kubeadmrun.alongside import kubeadm_preflight, line_up

KUBEADM_INIT_LOG = """\
   0.04 [init] Using Kubernetes version: v1.37.2
   0.04 [preflight] Running pre-flight checks
   0.31 \t[WARNING Service-Kubelet]: kubelet service is not enabled
   0.62 \t[WARNING SystemVerification]: cgroups v1 support is in maintenance mode
   0.63 [preflight] Pulling images required for setting up a Kubernetes cluster
   1.02 [certs] Using certificateDir folder "/etc/kubernetes/pki"
   9.80 \t[WARNING Later]: not a preflight verdict
   9.90 # kubeadm init on n0: exit 0 after 9.9s
"""


def _results(**verdicts: str) -> dict[str, Any]:
    checks = [
        {"id": check_id.replace("_", "-"), "status": status, "origin": "kubeadm"}
        for check_id, status in verdicts.items()
    ]
    checks.append({"id": "beyond-only", "status": "fail", "origin": "beyond"})
    return {"checks": checks}


def test_kubeadm_names_only_what_warns_in_its_preflight() -> None:
    assert kubeadm_preflight(KUBEADM_INIT_LOG) == {
        "Service-Kubelet": "warn",
        "SystemVerification": "warn",
    }
    assert kubeadm_preflight(
        "[preflight] Running pre-flight checks\n\t[ERROR Mem]: too little\n"
    ) == {"Mem": "fail"}


def test_verdicts_agree_where_both_judge() -> None:
    lined = line_up(
        "n0",
        KUBEADM_INIT_LOG,
        _results(Service_kubelet="warn", SystemVerification="warn", Swap="pass", ImagePull="skip"),
    )
    assert lined.rows == {
        "Service-kubelet": ("warn", "warn"),
        "SystemVerification": ("warn", "warn"),
        "Swap": ("pass", "pass"),
    }
    assert not lined.differ and not lined.unknown_to_us
    assert lined.table().startswith("n0: 3/3 agree")


def test_a_different_verdict_and_a_check_we_lack_are_differences() -> None:
    lined = line_up("n0", KUBEADM_INIT_LOG, _results(Service_kubelet="pass", Swap="warn"))
    assert lined.differ == {"Service-kubelet": ("warn", "pass"), "Swap": ("pass", "warn")}
    assert lined.unknown_to_us == ["systemverification"]
    assert "ours has no such check" in lined.table()
