"""The cluster tier: the Kubernetes Standard Base as pytest tests against any kubeconfig."""
