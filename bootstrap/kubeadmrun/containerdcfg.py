"""containerd's configuration on a kubeadm node: its standard paths, our closed registry.

Inside the node's own mount namespace ``/var/lib/containerd``, ``/run/containerd``,
``/etc/containerd`` and ``/opt/cni/bin`` are the node's, so containerd keeps its defaults there,
as on any kubeadm machine. What stays as on our other nodes (``nodes.runtime``): every registry
resolves to a closed port of the node's loopback (no pull ever leaves the machine), NRI and CDI
off, runc from Debian, ``restrict_oom_score_adj`` where this process may not lower an OOM score.
"""

from __future__ import annotations

from pathlib import Path

from bootstrap.runtime.nodes.runtime import registry_hosts
from bootstrap.upstream.images.catalog import pause_tags

CONFIG = "/etc/containerd/config.toml"
HOSTS = "/etc/containerd/certs.d/_default/hosts.toml"


def config_toml(runc: Path, restrict_oom: bool) -> str:
    cri_runtime = "plugins.'io.containerd.cri.v1.runtime'"
    cri_images = "plugins.'io.containerd.cri.v1.images'"
    if '"' in str(runc) or "\\" in str(runc):
        raise ValueError(f"{runc}: not usable in TOML")
    return "\n".join(
        [
            "version = 3",
            'root = "/var/lib/containerd"',
            'state = "/run/containerd"',
            "[grpc]",
            '  address = "/run/containerd/containerd.sock"',
            f"[{cri_images}]",
            '  snapshotter = "overlayfs"',
            f"[{cri_images}.pinned_images]",
            f'  sandbox = "{pause_tags()[0]}"',
            f"[{cri_images}.registry]",
            '  config_path = "/etc/containerd/certs.d"',
            f"[{cri_runtime}]",
            "  enable_cdi = false",
            f"  restrict_oom_score_adj = {'true' if restrict_oom else 'false'}",
            f"[{cri_runtime}.cni]",
            '  bin_dirs = ["/opt/cni/bin"]',
            '  conf_dir = "/etc/cni/net.d"',
            f"[{cri_runtime}.containerd]",
            '  default_runtime_name = "runc"',
            f"[{cri_runtime}.containerd.runtimes.runc]",
            '  runtime_type = "io.containerd.runc.v2"',
            f"[{cri_runtime}.containerd.runtimes.runc.options]",
            f'  BinaryName = "{runc}"',
            "  SystemdCgroup = false",
            "[plugins.'io.containerd.nri.v1.nri']",
            "  disable = true",
            "",
        ]
    )


def hosts_toml() -> str:
    return registry_hosts()
