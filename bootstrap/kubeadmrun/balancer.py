"""The load balancer in front of several control planes: haproxy from Debian, as kinder uses.

It runs in the cluster's hub network namespace (``nodes.network``), which every node routes
through and the host reaches directly, and listens on the hub's uplink address at port 6443 (the
hub's namespace is the cluster's own, so the port is free): that address is the cluster's
``controlPlaneEndpoint``, for the kubelets, kube-proxy, the joins and the host alike.

Each API server is checked on ``/livez`` over TLS every second (kinder's check), and taken out
after two failures: one whose node has stopped refuses the connection, one that cannot reach its
etcd fails the check. A connection refused in between is tried again on another server
(``redispatch``). When no API server passes (etcd has lost its quorum: every ``/livez`` fails on
its ``etcd`` check), the balancer fails open, as AWS's load balancers and Envoy's panic mode do:
each API server is also listed as an unchecked backup, used only then, so a client still reaches
an API server that answers and hears from it why it cannot serve (``/readyz``: ``etcd failed``)
rather than a dropped connection that says nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bootstrap.runtime import process
from bootstrap.runtime.state import ProcessRecord
from kubeadm_verify.errors import BootstrapError

PORT = 6443
CONFIG_NAME = "haproxy.cfg"
FAIL_OPEN = "-unchecked"
"""The suffix of the backup servers' names: the same API servers, unchecked."""


def haproxy_binary() -> Path:
    found = shutil.which("haproxy")
    if found is None:
        raise BootstrapError(
            "several control planes need haproxy as their load balancer: apt-get install haproxy"
        )
    return Path(found)


def config(address: str, backends: list[tuple[str, str]]) -> str:
    """haproxy.cfg: TCP to the API servers at ``backends`` (name, address), checked, each
    also a backup used only while none passes its check (see the module docstring)."""
    lines = [
        "global",
        "  maxconn 4000",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 1h",
        "  timeout server 1h",
        "  retries 3",
        "  option redispatch 1",
        "frontend control-plane",
        f"  bind {address}:{PORT}",
        "  default_backend kube-apiservers",
        "backend kube-apiservers",
        "  option httpchk GET /livez",
        "  http-check expect status 200",
        "  option allbackups",
    ]
    lines += [
        f"  server {name} {backend}:{PORT} check check-ssl verify none inter 1s fall 2 rise 1"
        for name, backend in backends
    ]
    lines += [f"  server {name}{FAIL_OPEN} {backend}:{PORT} backup" for name, backend in backends]
    return "\n".join(lines) + "\n"


def start(name: str, nsenter: Path, hub_netns: Path, config_path: Path, log: Path) -> ProcessRecord:
    """haproxy in the foreground (``-db``) in the hub's namespace; its config checked first."""
    haproxy = haproxy_binary()
    argv = [str(nsenter), f"--net={hub_netns}", "--", str(haproxy), "-db", "-f", str(config_path)]
    return process.start("haproxy", argv, log)
