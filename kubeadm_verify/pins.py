"""Every upstream version the suite pins, and kubeadm's defaults for the pinned release.

One module, importing nothing, so a move to a new Kubernetes release is a one-file change and
every layer (the node tier's fast path included) can read a pin without paying for an import.
The etcd pin follows kubeadm's ``constants.DefaultEtcdVersion`` for the pinned release; the
ginkgo pin is the version ``k8s.io/kubernetes``'s own go.mod requires, so the test runner matches
the e2e binary it drives.
"""

KUBERNETES_VERSION = "v1.37.2"
"""Newest stable release whose published modules build with the machine's Go (1.26)."""
KUBEADM_VERSION = KUBERNETES_VERSION
"""The kubeadm release whose behaviour the node tier reproduces."""
ETCD_VERSION = "v3.7.0"
"""kubeadm v1.37's ``DefaultEtcdVersion`` is 3.7.0-0 (the -0 is the image revision)."""
KWOK_VERSION = "v0.8.0"
GINKGO_VERSION = "v2.32.0"

DEFAULT_ROLE = "control-plane"
"""What ``kubeadm init`` sets up (``worker``: ``kubeadm join`` without ``controlPlane``)."""
DEFAULT_BIND_PORT = 6443
"""kubeadm's ``localAPIEndpoint.bindPort`` default (it names the ``Port-6443`` check)."""
DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
"""kubeadm's ``networking.serviceSubnet`` default."""
