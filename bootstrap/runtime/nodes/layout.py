"""Where one node's files live: ``<state>/nodes/<node>/``, owner-only like the state dir.

::

    <state>/nodes/<node>/
      bootstrap-kubelet.conf kubelet.conf config.yaml   as /etc/kubernetes and /var/lib/kubelet
      pki/ca.crt  pki/kubelet*.{crt,key,pem}            the kubelet's cert dir
      kubelet/          the kubelet's --root-dir (pods, volumes, plugins)
      manifests/        its staticPodPath (empty: a worker has no static Pods)
      pod-logs/         its podLogsDir (two kubelets must not share /var/log/pods)
      containerd/       config.toml, root, state, socket, certs.d, opt
      cni/net.d/        the node's conflist;  cni/ipam/  host-local's allocations
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_SOCKET_PATH = 100
"""A unix socket path has 108 bytes; containerd's ttrpc socket adds ``.ttrpc``."""


@dataclass(frozen=True)
class NodeLayout:
    root: Path
    name: str

    @classmethod
    def under(cls, state_root: Path, name: str) -> NodeLayout:
        return cls(state_root / "nodes" / name, name)

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def ca(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"

    @property
    def bootstrap_kubeconfig(self) -> Path:
        return self.root / "bootstrap-kubelet.conf"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubelet.conf"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def containerd(self) -> Path:
        return self.root / "containerd"

    @property
    def containerd_config(self) -> Path:
        return self.containerd / "config.toml"

    @property
    def socket(self) -> Path:
        return self.containerd / "containerd.sock"

    @property
    def registry_hosts(self) -> Path:
        return self.containerd / "certs.d"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam(self) -> Path:
        return self.root / "cni" / "ipam"

    def log(self, logs: Path, component: str) -> Path:
        return logs / f"{self.name}-{component}.log"

    def create(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in (
            self.pki,
            self.kubelet_root,
            self.manifests,
            self.pod_logs,
            self.containerd,
            self.cni_conf_dir,
            self.cni_ipam,
            self.registry_hosts / "_default",
        ):
            sub.mkdir(mode=0o700, parents=True, exist_ok=True)
