"""A joining node's kubelet configuration: the cluster's, plus what this host makes necessary.

The base is the ``kubelet-config`` ConfigMap, read as ``kubeadm join`` reads it (with the
bootstrap token). On top go the node's own paths (cert dir, pod logs, static Pod dir, the
runtime's socket) and only those host-dependent settings the host calls for, each documented:

``cgroupDriver: cgroupfs``  only where systemd is not the init (nothing could create slices);
``failCgroupV1: false``     only on a cgroup v1 host (the kubelet refuses v1 by default since 1.35);
``cgroupRoot``              always: two kubelets on one host must not share ``/kubepods``;
``podLogsDir``              always: a kubelet removes log dirs of pods it does not know;
``imageGCHighThresholdPercent: 100`` and ``evictionHard`` at 0% for disk, always: a node's
                            filesystem is the host's, shared with the host and every other
                            cluster on it, so the kubelet would garbage-collect images and evict
                            pods for space it did not use, and a collected image cannot be pulled
                            again (there is no registry). kind sets the same for the same reason.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from bootstrap.runtime.nodes.layout import NodeLayout

SYSTEMD_RUNNING = Path("/run/systemd/system")
"""systemd's own test for "booted with systemd" (``sd_booted``)."""


SHARED_DISK: dict[str, Any] = {
    "imageGCHighThresholdPercent": 100,
    "evictionHard": {
        "nodefs.available": "0%",
        "nodefs.inodesFree": "0%",
        "imagefs.available": "0%",
        "imagefs.inodesFree": "0%",
        "memory.available": "100Mi",
    },
}
"""Disk left to the host (see above); memory keeps the kubelet's default hard threshold, which
a partial ``evictionHard`` would otherwise drop."""


def host_settings(cgroup_v1: bool, systemd: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if not systemd:
        settings["cgroupDriver"] = "cgroupfs"
    if cgroup_v1:
        settings["failCgroupV1"] = False
    return settings


def kubelet_configuration(
    base: dict[str, Any], layout: NodeLayout, cgroup_root: str, *, cgroup_v1: bool, systemd: bool
) -> dict[str, Any]:
    """``base`` (the ConfigMap's) with the node's paths and the host's needs applied."""
    config = copy.deepcopy(base)
    auth = config.setdefault("authentication", {})
    auth.setdefault("x509", {})["clientCAFile"] = str(layout.ca)
    config.update(
        {
            "staticPodPath": str(layout.manifests),
            "podLogsDir": str(layout.pod_logs),
            "cgroupRoot": cgroup_root,
            "containerRuntimeEndpoint": f"unix://{layout.socket}",
            "imageServiceEndpoint": f"unix://{layout.socket}",
            **SHARED_DISK,
        }
    )
    resolv = config.get("resolvConf")
    if resolv and not Path(str(resolv)).exists():
        config["resolvConf"] = "/etc/resolv.conf"
    config.update(host_settings(cgroup_v1, systemd))
    return config


def kubelet_argv(
    kubelet: Path, nsenter: Path, netns: Path, layout: NodeLayout, node_ip: str
) -> list[str]:
    """As kubeadm's systemd drop-in runs it, in the node's network namespace only (the node
    shares the host's mount namespace, where containerd mounts the pods' volumes)."""
    return [
        str(nsenter),
        f"--net={netns}",
        "--",
        str(kubelet),
        f"--bootstrap-kubeconfig={layout.bootstrap_kubeconfig}",
        f"--kubeconfig={layout.kubeconfig}",
        f"--config={layout.kubelet_config}",
        f"--cert-dir={layout.pki}",
        f"--root-dir={layout.kubelet_root}",
        f"--hostname-override={layout.name}",
        f"--node-ip={node_ip}",
    ]
