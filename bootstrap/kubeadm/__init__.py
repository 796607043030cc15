"""bootstrap.kubeadm."""
