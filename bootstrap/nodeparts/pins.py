"""The versions of the node parts we build, and the names the kubelet and kubeadm ask for.

containerd is the 2.x line (it answers the CRI ``RuntimeConfig`` call the kubelet 1.38 will
require); v2.2.9 is the release a probe on this kind of machine ran. CoreDNS follows kubeadm
v1.37's ``constants.CoreDNSVersion``; agnhost's tag is the ``VERSION`` file of the pinned
Kubernetes source, which is what its e2e tests ask for.
"""

from __future__ import annotations

CONTAINERD_MODULE = "github.com/containerd/containerd/v2"
CONTAINERD_VERSION = "v2.2.9"
CONTAINERD_TAGS = "no_btrfs no_devmapper no_zfs"
"""Snapshotters that need cgo or kernel features we do not use; overlayfs stays."""
CONTAINERD_COMMANDS = ("containerd", "containerd-shim-runc-v2", "ctr")

COREDNS_MODULE = "github.com/coredns/coredns"
COREDNS_VERSION = "v1.14.6"

AGNHOST_PACKAGE = "k8s.io/kubernetes/test/images/agnhost"
AGNHOST_TAG = "2.66.1"

PAUSE_TAGS = ("3.10.2", "3.10")
"""3.10.2 is containerd 2.2's sandbox image and kubeadm v1.37's; 3.10 is what e2e tests use."""
PAUSE_VERSION = PAUSE_TAGS[0]

BUILT = (*CONTAINERD_COMMANDS, "coredns", "agnhost", "pause")
"""Every file of the node-parts cache directory."""
