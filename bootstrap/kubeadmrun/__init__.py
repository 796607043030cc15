"""Clusters brought up by the real kubeadm binary on our nodes, each node a whole machine to it.

``bring_up_kubeadm(state_dir, kubeadm, workers, log)`` → ``KubeadmCluster``: ``kubeadm init`` on
the first node, ``kubeadm join`` on each worker, every node Ready and CoreDNS answering;
``teardown_kubeadm(state_dir)`` undoes it (``kubeadm reset`` on each node first), from the
records kept in the state dir, so a later run can finish what an interrupted one left.
"""

from bootstrap.kubeadmrun.bringup import KubeadmCluster, bring_up_kubeadm
from bootstrap.kubeadmrun.teardown import teardown_kubeadm

__all__ = ["KubeadmCluster", "bring_up_kubeadm", "teardown_kubeadm"]
