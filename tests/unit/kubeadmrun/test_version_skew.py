"""The version-skew policy held at each step of an upgrade: the breaches named, the steps that
could not be read said, not guessed."""

from __future__ import annotations

from bootstrap.kubeadmrun.upgradereport import skew_result
from bootstrap.kubeadmrun.versionskew import Reading, breaches, sample
from kubeadm_verify.results import Status

OLD, NEW, ANCIENT = (1, 36), (1, 37), (1, 33)


def reading(**running: dict[str, tuple[int, int]]) -> Reading:
    components = {name.replace("_", "-"): nodes for name, nodes in running.items()}
    return Reading("control-plane-1 upgrade apply", components)


def test_an_upgrade_in_the_documented_order_stays_within_the_policy() -> None:
    midway = reading(
        kube_apiserver={"cp1": NEW, "cp2": OLD},
        kube_controller_manager={"cp1": OLD, "cp2": OLD},
        kube_scheduler={"cp1": OLD},
        kubelet={"cp1": OLD, "w1": OLD},
        kube_proxy={"cp1": OLD, "w1": OLD},
    )
    assert breaches(midway) == []


def test_each_breach_names_the_component_the_node_and_both_releases() -> None:
    found = breaches(
        reading(
            kube_apiserver={"cp1": OLD},
            kube_controller_manager={"cp1": NEW},
            kubelet={"w1": NEW, "w2": ANCIENT},
            kube_proxy={"w1": (1, 32)},
        )
    )
    assert found == [
        "after control-plane-1 upgrade apply: kube-controller-manager on cp1 v1.37 is newer "
        "than v1.36",
        "after control-plane-1 upgrade apply: kubelet on w1 v1.37 is newer than v1.36",
        "after control-plane-1 upgrade apply: kube-proxy on w1 v1.32 is more than 3 minor(s) "
        "older than v1.36",
    ]
    apart = breaches(reading(kube_apiserver={"cp1": (1, 37), "cp2": (1, 35)}))
    assert apart == [
        "after control-plane-1 upgrade apply: API servers cp1 v1.37, cp2 v1.35: more than one "
        "minor apart"
    ]
    assert "no API server" in breaches(reading(kubelet={"w1": OLD}))[0]


def test_the_result_fails_on_a_breach_and_warns_for_a_step_not_read() -> None:
    fine = reading(kube_apiserver={"cp1": NEW}, kubelet={"w1": OLD})
    assert skew_result([fine], []).status is Status.PASS
    warned = skew_result([fine], ["worker-1 kubelet"])
    assert warned.status is Status.WARN and "cannot determine after worker-1 kubelet" in (
        warned.message
    )
    broken = reading(kube_apiserver={"cp1": OLD}, kubelet={"w1": NEW})
    assert skew_result([fine, broken], ["worker-1 kubelet"]).status is Status.FAIL


class Cluster:
    """Our client boundary, answering the two lists ``sample`` reads."""

    def get(self, path: str) -> dict[str, object]:
        if path.endswith("/pods"):
            return {
                "items": [
                    pod("kube-apiserver-cp1", {"component": "kube-apiserver"}, "cp1", "v1.37.2"),
                    pod("kube-proxy-a", {"k8s-app": "kube-proxy"}, "w1", "v1.36.3"),
                    pod("coredns-b", {"k8s-app": "kube-dns"}, "w1", "v1.14.6"),
                    pod("kube-proxy-c", {"k8s-app": "kube-proxy"}, "w2", "v1.37.0-rc.1"),
                ]
            }
        return {
            "items": [
                {"metadata": {"name": "w1"}, "status": {"nodeInfo": {"kubeletVersion": "v1.36.3"}}},
            ]
        }


def pod(name: str, labels: dict[str, str], node: str, tag: str) -> dict[str, object]:
    image = f"registry.k8s.io/{name.rsplit('-', 1)[0]}:{tag}"
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"nodeName": node, "containers": [{"image": image}]},
    }


def test_a_reading_takes_each_release_from_images_and_nodes_and_leaves_the_rest() -> None:
    read = sample(Cluster(), "worker-1 kubelet")  # type: ignore[arg-type]
    assert read.running["kube-apiserver"] == {"cp1": NEW}
    assert read.running["kube-proxy"] == {"w1": OLD}, "a pre-release tag is not a release"
    assert read.running["kubelet"] == {"w1": OLD}
    assert "kube-dns" not in read.running
