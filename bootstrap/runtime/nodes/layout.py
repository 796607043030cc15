"""Where a cluster's real nodes keep their files: decided here, once, for every entry point.

A node's sockets (containerd's gRPC and ttrpc sockets, the kubelet's pod-resources, pods-api and
device-plugin sockets) live inside the node's directory, and a Unix socket's path has 108 bytes
with its NUL. Under the cluster's state dir (``~/.cache/...``, a fixture's
``pytest-<stamp>-<hex>``, any ``--state-dir``) they outgrow that, so the node directories, and
everything that holds a socket, live under a short runtime dir of the cluster's own instead::

    /var/lib/kubeadm-verify/<cid>/       0700, one per cluster with real nodes (its cluster id)
      state-dir                          the state dir it belongs to, for a human after a crash
      n<index>/                          one node (0: the control-plane host's own)
        bootstrap-kubelet.conf kubelet.conf config.yaml   as /etc/kubernetes and /var/lib/kubelet
        pki/ca.crt  pki/kubelet*.{crt,key,pem}            the kubelet's cert dir
        kubelet/        the kubelet's --root-dir (pods, volumes, plugins, its sockets)
        manifests/      its staticPodPath (empty: a worker has no static Pods)
        pod-logs/       its podLogsDir (two kubelets must not share /var/log/pods)
        containerd/     config.toml, root, state, socket, certs.d, opt
        cni/net.d/      the node's conflist;  cni/ipam/  host-local's allocations

Why ``/var/lib`` and not ``/run``: containerd's root holds every image and container filesystem
and the kubelet's root every emptyDir, which on a tmpfs ``/run`` would be memory. What survives a
reboot is found again: the cluster's ``nodes.json`` (in the state dir, with the kubeconfigs and
logs) records the runtime dir before it is made, so ``down`` (and ``up``'s claim of a dead
cluster's state dir) remove it, and only a dir named with the recorded cluster id. The cluster id
comes from the state dir, and a runtime dir that already exists is refused, so two clusters never
share one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RUNTIME_ROOT = Path("/var/lib/kubeadm-verify")
"""Fixed, short, the same whatever HOME, ``--name`` or ``--state-dir`` is."""
MACHINE_ROOT = Path("/srv/kubeadm-verify")
"""The runtime dirs of clusters whose nodes are whole machines to kubeadm
(``bootstrap.kubeadmrun``): each such node overlays the host's ``/etc``, ``/usr``, ``/var`` and
``/opt`` with upper dirs of its own, and an overlay's upper dir may not lie inside its lower one
(the kernel answers ELOOP through the overlay), so they live outside all four."""
SOCKET_LIMIT = 107
"""``sizeof(sun_path)`` is 108 bytes on Linux, one of them the terminating NUL."""
NODE_SOCKETS = (
    "containerd/containerd.sock",
    "containerd/containerd.sock.ttrpc",
    "kubelet/pod-resources/kubelet.sock",
    "kubelet/pods-api/pods-api.sock",
    "kubelet/device-plugins/kubelet.sock",
)
"""The sockets a node's own programs make under its dir (containerd's ttrpc socket is its gRPC
socket's path plus ``.ttrpc``; the kubelet's names are its ``pkg/kubelet/apis`` constants)."""
OWNER_FILE = "state-dir"


def runtime_dir(cid: str, root: Path | None = None) -> Path:
    """A cluster's runtime dir, from its cluster id (``addressing.cluster_id``), under ``root``
    (``RUNTIME_ROOT`` unless given)."""
    return (root or RUNTIME_ROOT) / cid


def node_dir(runtime: Path, index: int) -> Path:
    """``n<index>``: a node's dir is named by its index, not its (longer) node name."""
    return runtime / f"n{index}"


def too_long(paths: list[Path]) -> list[Path]:
    """The socket paths among ``paths`` a Unix socket cannot bind."""
    return [path for path in paths if len(str(path).encode()) > SOCKET_LIMIT]


@dataclass(frozen=True)
class NodeLayout:
    root: Path
    name: str

    @classmethod
    def legacy(cls, state_root: Path, name: str) -> NodeLayout:
        """Where a record written before runtime dirs existed put its nodes:
        ``<state>/nodes/<node>/``, so that such a cluster is still torn down."""
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
    def sockets(self) -> list[Path]:
        return [self.root / relative for relative in NODE_SOCKETS]

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
