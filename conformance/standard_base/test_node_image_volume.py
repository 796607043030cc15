"""node: an OCI image mounted as a volume, on every schedulable real node.

Upstream (test/e2e/common/node/image_volume.go) mounts its kitten image with ``pullPolicy:
Always`` into a busybox container and reads two of the image's files. ImageVolume is GA in
v1.36 and locked on; the kubelet asks the runtime to mount the image, so a node whose runtime
cannot (containerd before 2.1, CRI-O before 1.31) fails the pod. Here the volume is the agnhost
image the suite's other tests run, with ``IfNotPresent`` (upstream's ``Always`` would ask a
registry on every start), mounted into a busybox container, which must see the image's files
(``/agnhost``, ``/etc/passwd``) that its own image lacks, and be refused a write: image volumes
are read-only.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube
from conformance.standard_base.marker import standard_base
from conformance.standard_base.pernode import (
    assert_every_node,
    phase_in,
    place,
    pod_nodes,
    wait_every,
)
from conformance.standard_base.workloads import ending, finished_logs_of

MOUNT = "/volume"
SCRIPT = (
    f"test -f {MOUNT}/agnhost && echo has-agnhost; "
    f"grep -q '^root:' {MOUNT}/etc/passwd && echo has-passwd; "
    "test -e /agnhost && echo own-image-has-agnhost; "
    f"touch {MOUNT}/written 2>/dev/null && echo writable || echo read-only"
)
EXPECTED = "has-agnhost\nhas-passwd\nread-only\n"


def _pod(name: str, _node: str) -> b.Manifest:
    return b.pod(
        name,
        None,
        b.container(
            image=b.BUSYBOX_IMAGE,
            command=["sh", "-c", ending(SCRIPT)],
            volumeMounts=[{"name": "image", "mountPath": MOUNT}],
        ),
        restartPolicy="Never",
        volumes=[
            {"name": "image", "image": {"reference": b.AGNHOST_IMAGE, "pullPolicy": "IfNotPresent"}}
        ],
    )


def _saw_the_image(kube_logs: str) -> str | None:
    if kube_logs == EXPECTED:
        return None
    return f"the container saw {kube_logs.split()!r}, not {EXPECTED.split()!r}"


@standard_base(
    id="node/image-volume",
    conformance=[
        "[sig-node] ImageVolume should succeed with pod and pull policy of Always [LinuxOnly] "
        "[MinimumKubeletVersion:1.35] [Conformance]"
    ],
    needs=["real-kubelet"],
    timeout=35,
)
def test_image_volume(kube: Kube, kv_namespace: str) -> None:
    """On every schedulable real node, a busybox container with the agnhost image mounted as
    an ``image`` volume runs to completion, sees the image's own files (``/agnhost``,
    ``/etc/passwd``) under the mount and not in its own root, and cannot write there."""
    placed = place(kube, kv_namespace, "image-volume", pod_nodes(kube), _pod)
    wait_every(kube, kv_namespace, placed, "the pod to end", phase_in("Succeeded"), 30)
    assert_every_node(
        {
            node: _saw_the_image(printed)
            for node, printed in finished_logs_of(
                kube, kv_namespace, {one.node: (one.pod, None) for one in placed}, ended=True
            ).items()
        },
        "the agnhost image's files, read-only, under the image volume",
    )
