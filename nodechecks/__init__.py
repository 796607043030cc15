"""The node tier: kubeadm's preflight and system-validators checks, and more, over a host root."""
