"""Clusters brought up by the real kubeadm binary on our nodes, each node a whole machine to it.

``bring_up_kubeadm(state_dir, kubeadm, workers, log)`` → ``KubeadmCluster``: ``kubeadm init`` on
the first node, ``kubeadm join`` on each worker, every node Ready and CoreDNS answering;
``teardown_kubeadm(state_dir)`` undoes it (``kubeadm reset`` on each node first), from the
records kept in the state dir, so a later run can finish what an interrupted one left.

Both are imported on first use: two modules of this package run as programs inside every node
(``nodefs``, the namespaces' holder, and ``kubeletunit``, the kubelet's stand-in unit), and
``python -m`` imports this package first; eager imports would cost each of them the whole
bootstrap's start-up and tens of MB for as long as the node runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.kubeadmrun.bringup import KubeadmCluster, bring_up_kubeadm
    from bootstrap.kubeadmrun.teardown import teardown_kubeadm

_PUBLIC = {
    "KubeadmCluster": "bootstrap.kubeadmrun.bringup",
    "bring_up_kubeadm": "bootstrap.kubeadmrun.bringup",
    "teardown_kubeadm": "bootstrap.kubeadmrun.teardown",
}
__all__ = ["KubeadmCluster", "bring_up_kubeadm", "teardown_kubeadm"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
