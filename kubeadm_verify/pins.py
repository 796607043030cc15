"""Every upstream version the suite pins, and kubeadm's defaults for the pinned release.

One module, so a move to a new Kubernetes release is a one-file change and every layer (the node
tier's fast path included) can read a pin cheaply: it imports only the core's record decorator and
errors, which that path loads anyway. The etcd pin follows kubeadm's
``constants.DefaultEtcdVersion`` for the pinned release; the ginkgo pin is the version
``k8s.io/kubernetes``'s own go.mod requires, so the test runner matches the e2e binary it drives.

Beside the pinned release, ``RELEASES`` holds what each release the suite can build pins in its
kubeadm (etcd, CoreDNS): the previous minor's (``UPGRADE_FROM_VERSION``) is what an upgrade
starts from. ``release_pins(version)`` looks one up.
"""

from __future__ import annotations

from kubeadm_verify.errors import UsageError
from kubeadm_verify.record import record

KUBERNETES_VERSION = "v1.37.2"
"""Newest stable release whose published modules build with the machine's Go (1.26)."""
KUBEADM_VERSION = KUBERNETES_VERSION
"""The kubeadm release whose behaviour the node tier reproduces."""
ETCD_VERSION = "v3.7.0"
"""kubeadm v1.37's ``DefaultEtcdVersion`` is 3.7.0-0 (the -0 is the image revision)."""
ETCD_IMAGE_TAG = "3.7.0-0"
"""The same etcd as kubeadm names its image (the -0 is the image revision)."""
MIN_EXTERNAL_ETCD_VERSION = "3.5.24-0"
"""kubeadm v1.37.2's ``MinExternalEtcdVersion`` (constants.go; it moves with each release)."""
KWOK_VERSION = "v0.8.0"
GINKGO_VERSION = "v2.32.0"

COREDNS_VERSION = "v1.14.6"
"""kubeadm v1.37's ``constants.CoreDNSVersion``; the node parts build this release."""
PAUSE_TAGS = ("3.10.2", "3.10")
"""3.10.2 is containerd 2.2's sandbox image and kubeadm v1.37's; 3.10 is what e2e tests use."""
PAUSE_VERSION = PAUSE_TAGS[0]
CONTAINERD_VERSION = "v2.2.9"
"""The 2.x line answers the CRI ``RuntimeConfig`` call the kubelet 1.38 will require."""
AGNHOST_TAG = "2.66.1"
"""The ``VERSION`` file of the pinned Kubernetes source's agnhost: what its e2e tests ask for."""
BUSYBOX_TAG = "1.37.0-2"
GLIBC_DNS_TESTING_TAG = "2.1.1"
SAMPLE_APISERVER_TAG = "v0.37.2"
"""k8s.io/sample-apiserver of the pinned release (v0.X.Y for v1.X.Y), built here and tagged as
ours (``kubeadm-verify.local/sample-apiserver``): upstream's e2e image (1.29.2) is older code."""

DEFAULT_ROLE = "control-plane"
"""What ``kubeadm init`` sets up (``worker``: ``kubeadm join`` without ``controlPlane``)."""
DEFAULT_BIND_PORT = 6443
"""kubeadm's ``localAPIEndpoint.bindPort`` default (it names the ``Port-6443`` check)."""
DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
"""kubeadm's ``networking.serviceSubnet`` default."""


@record
class ReleasePins:
    """What one release's kubeadm pins in ``cmd/kubeadm/app/constants/constants.go``: its default
    etcd (``DefaultEtcdVersion``, the image tag with its ``-N`` revision) and ``CoreDNSVersion``.
    The binaries, node parts and images of that release are built at these versions."""

    kubernetes_version: str
    etcd_image_tag: str
    coredns_version: str

    @property
    def etcd_version(self) -> str:
        """The etcd release itself (``3.6.8-0`` → ``v3.6.8``): its module's version."""
        return "v" + self.etcd_image_tag.split("-", 1)[0]


RELEASES = {
    pins.kubernetes_version: pins
    for pins in (
        ReleasePins(KUBERNETES_VERSION, ETCD_IMAGE_TAG, COREDNS_VERSION),
        ReleasePins("v1.36.3", "3.6.8-0", "v1.14.2"),
    )
}
"""Every release the suite builds and brings up, the pinned one first."""
UPGRADE_FROM_VERSION = "v1.36.3"
"""The previous minor's newest release the Go module proxy serves: where an upgrade starts."""


def release_pins(version: str | None = None) -> ReleasePins:
    """The pins of ``version`` (``v1.36.3`` or ``1.36.3``; None: the pinned release). Any other
    release is refused here, once, naming those that are supported: which etcd and CoreDNS its
    kubeadm wants is not known, so nothing of it can be built honestly."""
    if version is None:
        return RELEASES[KUBERNETES_VERSION]
    found = RELEASES.get("v" + version.strip().removeprefix("v"))
    if found is None:
        raise UsageError(
            f"Kubernetes {version}: not a release this suite builds "
            f"(supported: {', '.join(RELEASES)})"
        )
    return found
