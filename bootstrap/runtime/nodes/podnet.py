"""Pod networking on a node: one bridge conflist per node, and masquerade only off the pod network.

Each node's pods get the node's own /24 from host-local (its allocations kept in the node's
directory). The bridge plugin's ``ipMasq`` would NAT pod-to-pod traffic between nodes too, which
Kubernetes' network model forbids, so it is off and one rule in the node's namespace masquerades
only what leaves the cluster's pod subnet (traffic to the API server, for one).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from kubeadm_verify.errors import BootstrapError

NETWORK_NAME = "kvn-pods"
BRIDGE = "cni0"


def conflist(pod_cidr: str, ipam_dir: Path) -> dict[str, Any]:
    ipam = {
        "type": "host-local",
        "ranges": [[{"subnet": pod_cidr}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": str(ipam_dir),
    }
    return {
        "cniVersion": "1.0.0",
        "name": NETWORK_NAME,
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": ipam,
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def write_conflist(conf_dir: Path, pod_cidr: str, ipam_dir: Path) -> Path:
    path = conf_dir / "10-kvn.conflist"
    path.write_text(json.dumps(conflist(pod_cidr, ipam_dir), indent=2) + "\n")
    return path


def masquerade_argv(
    nsenter: Path, netns: Path, iptables: Path, pod_cidr: str, pod_subnet: str
) -> list[str]:
    return [
        str(nsenter),
        f"--net={netns}",
        "--",
        str(iptables),
        "iptables",
        "-w",
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-s",
        pod_cidr,
        "!",
        "-d",
        pod_subnet,
        "-j",
        "MASQUERADE",
    ]


def add_masquerade(
    nsenter: Path, netns: Path, iptables: Path, pod_cidr: str, pod_subnet: str
) -> None:
    _iptables(masquerade_argv(nsenter, netns, iptables, pod_cidr, pod_subnet), netns)


def hold_argv(nsenter: Path, netns: Path, iptables: Path, service_subnet: str) -> list[str]:
    return [
        str(nsenter),
        f"--net={netns}",
        "--",
        str(iptables),
        "iptables",
        "-w",
        "-A",
        "FORWARD",
        "-d",
        service_subnet,
        "-j",
        "DROP",
    ]


def hold_service_traffic(nsenter: Path, netns: Path, iptables: Path, service_subnet: str) -> None:
    """Drop, last in the node's FORWARD chain, a pod's packet for a Service address that
    kube-proxy's rules did not rewrite (or reject: theirs come first).

    Before kube-proxy's first sync on the node, a pod's connection to a Service (CoreDNS's to
    the API server, for one) is not rewritten. Sent on, its conntrack entry would keep every
    retransmission unrewritten (and the connection hanging until client-go's 30 s dial
    timeout); refused, the client would back off for seconds. Dropped here, before the entry
    is confirmed, the SYN is simply retransmitted a second later, as a new connection to the
    rules, which are there by then.
    """
    for part in service_subnet.split(","):
        if part.strip() and ":" not in part:
            _iptables(hold_argv(nsenter, netns, iptables, part.strip()), netns)


def _iptables(argv: list[str], netns: Path) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    if proc.returncode != 0:
        raise BootstrapError(f"iptables in {netns.name}: {proc.stderr.strip()}")
