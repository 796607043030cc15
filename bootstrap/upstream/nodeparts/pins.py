"""The node parts we build: their modules, build tags and files (the versions are pinned in
:mod:`kubeadm_verify.pins`, with every other upstream version)."""

from __future__ import annotations

from kubeadm_verify.pins import AGNHOST_TAG as AGNHOST_TAG
from kubeadm_verify.pins import CONTAINERD_VERSION as CONTAINERD_VERSION
from kubeadm_verify.pins import PAUSE_TAGS as PAUSE_TAGS
from kubeadm_verify.pins import PAUSE_VERSION as PAUSE_VERSION

CONTAINERD_MODULE = "github.com/containerd/containerd/v2"
CONTAINERD_TAGS = "no_btrfs no_devmapper no_zfs"
"""Snapshotters that need cgo or kernel features we do not use; overlayfs stays."""
CONTAINERD_COMMANDS = ("containerd", "containerd-shim-runc-v2", "ctr")

COREDNS_MODULE = "github.com/coredns/coredns"

AGNHOST_PACKAGE = "k8s.io/kubernetes/test/images/agnhost"

BUILT = (*CONTAINERD_COMMANDS, "coredns", "agnhost", "pause")
"""Every file of the node-parts cache directory."""
