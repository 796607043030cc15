"""kubeadm-verify: node, cluster and end-to-end verification for Kubernetes."""

__version__ = "0.1.0"
