"""Upstream's kubectl specs that are about the API, run with the kubectl binary itself.

kubectl is a client of the API like any other, and these specs hold what it reads and writes
(version, discovery, cluster-info, labels, server-side dry-run and diff) to what the cluster serves.
Where no kubectl can be found the test cannot look, and says so as a warning (see
:mod:`conformance.standard_base.kubectl`).

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.kubectl import Kubectl, bounded
from conformance.standard_base.marker import standard_base
from kubeadm_verify.runner import WARNING_PROPERTY

SIG = "[sig-cli] Kubectl client"
VERSION_LINE = re.compile(r"^(Client|Server) Version: v\d+\.\d+\.[\w.+-]+$", re.MULTILINE)


@standard_base(
    id="api-machinery/kubectl-version-discovery",
    conformance=[
        f"{SIG} Kubectl version should check is all data is printed [Conformance]",
        f"{SIG} Kubectl api-versions should check if v1 is in available api versions [Conformance]",
        f"{SIG} Kubectl cluster-info should check if Kubernetes control plane services is "
        "included in cluster-info [Conformance]",
    ],
    timeout=10,
)
def test_kubectl_version_discovery(kube: Kube, kubectl: Kubectl | None) -> None:
    """kubectl prints its own and the server's version (the server's the API's /version),
    lists v1 among the API versions, and finds the control plane in cluster-info.
    """
    if kubectl is None:
        return
    printed = kubectl.ok("version")
    found = dict(m.group(0).split(": ", 1) for m in VERSION_LINE.finditer(printed))
    assert {"Client Version", "Server Version"} <= set(found), (
        f"kubectl version printed no client and server version: {bounded(printed)}"
    )
    served = kube.version.get_code().git_version
    assert found["Server Version"] == served, (
        f"kubectl version says the server is {found['Server Version']}, /version says {served}"
    )
    versions = kubectl.ok("api-versions").split()
    assert "v1" in versions, f"kubectl api-versions lists no v1: {bounded(' '.join(versions))}"
    info = kubectl.ok("cluster-info")
    for wanted in ("Kubernetes control plane", "is running at"):
        assert wanted in info, f"kubectl cluster-info does not say {wanted!r}: {bounded(info)}"


@standard_base(
    id="api-machinery/kubectl-label",
    conformance=[f"{SIG} Kubectl label should update the label on a resource [Conformance]"],
    needs=["nodes"],
    timeout=30,  # the pod's 15 s to be Ready, then five kubectl runs
)
def test_kubectl_label(kube: Kube, kv_namespace: str, kubectl: Kubectl | None) -> None:
    """kubectl label adds a label to a running pod, kubectl get -L shows it, and a label
    removed with kubectl label NAME- is gone from what kubectl get shows.
    """
    if kubectl is None:
        return
    name = "pause"
    kubectl.ok("create", "-f", "-", stdin=json.dumps(b.pod(name, {"name": "pause-pod"})))
    wait_for(f"pod {name} to be Ready", lambda: _ready(kube, kv_namespace, name), 15)
    kubectl.ok("label", "pods", name, "testing-label=testing-label-value")
    shown = kubectl.ok("get", "pod", name, "-L", "testing-label")
    assert "testing-label-value" in shown, f"kubectl get -L does not show the label: {shown!r}"
    kubectl.ok("label", "pods", name, "testing-label-")
    shown = kubectl.ok("get", "pod", name, "-L", "testing-label")
    assert "testing-label-value" not in shown, "kubectl get -L still shows the removed label"


def _ready(kube: Kube, namespace: str, name: str) -> bool:
    status = kube.core.read_namespaced_pod(name, namespace).status
    return any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])


@standard_base(
    id="api-machinery/kubectl-dry-run",
    conformance=[
        f"{SIG} Kubectl server-side dry-run should check if kubectl can dry-run update Pods "
        "[Conformance]",
        f"{SIG} Kubectl diff should check if kubectl diff finds a difference for Deployments "
        "[Conformance]",
    ],
    timeout=15,
)
def test_kubectl_dry_run(
    kube: Kube,
    kv_namespace: str,
    kubectl: Kubectl | None,
    record_property: Callable[[str, object], None],
) -> None:
    """A pod patched with --dry-run=server keeps its image; kubectl diff of a Deployment against
    a declaration with another image shows both images.
    """
    if kubectl is None:
        return
    pod = "e2e-test-agnhost-pod"
    kubectl.ok("run", pod, f"--image={b.AGNHOST_IMAGE}", f"--labels=run={pod}")
    other = json.dumps({"spec": {"containers": [{"name": pod, "image": b.BUSYBOX_IMAGE}]}})
    kubectl.ok("patch", "pod", pod, "-p", other, "--dry-run=server")
    images = [c.image for c in kube.core.read_namespaced_pod(pod, kv_namespace).spec.containers]
    assert images == [b.AGNHOST_IMAGE], f"a server-side dry run changed the pod's image: {images}"

    deployment = b.deployment("agnhost", {"app": "agnhost-diff"}, 1)
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = b.AGNHOST_IMAGE
    kubectl.ok("create", "-f", "-", stdin=json.dumps(deployment))
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = b.BUSYBOX_IMAGE
    if shutil.which("diff") is None:  # kubectl diff runs this machine's diff: it cannot look
        record_property(WARNING_PROPERTY, "kubectl diff not judged: no diff program on PATH")
        return
    done = kubectl.run("diff", "-f", "-", stdin=json.dumps(deployment))
    assert done.returncode == 1, (
        f"kubectl diff exited {done.returncode}, not 1 (differences found): {bounded(done.stderr)}"
    )
    for image in (b.AGNHOST_IMAGE, b.BUSYBOX_IMAGE):
        assert image in done.stdout, f"kubectl diff does not show {image}"
