"""kubeadm's init phases re-implemented over upstream binaries, and clusters as pytest fixtures."""
