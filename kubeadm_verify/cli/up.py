"""``kubeadm-verify up``: bring a named local cluster up; print its admin kubeconfig path.

The phases log to stderr, so that stdout carries only the path
(``export KUBECONFIG=$(kubeadm-verify up)``). Done when ``kubeadm init`` would be done.
``--free-ports`` moves every port left at kubeadm's default (API server, etcd client, peer and
metrics, controller-manager, scheduler) to a free one, so clusters can run side by side.
``--nodes N`` joins the control-plane host's node and N workers as real kubelets, and returns
once kube-proxy runs on each and CoreDNS answers.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kubeadm_verify.errors import UsageError

if TYPE_CHECKING:
    from bootstrap.kubeadm.configtypes import BootstrapConfig


def load(config: str | None, version: str | None) -> BootstrapConfig:
    """The configuration from ``--config`` (warnings to stderr) with ``--kubernetes-version``."""
    from bootstrap.kubeadm.config import load_config
    from bootstrap.runtime.cluster import stderr_log
    from bootstrap.upstream.versions import normalise_version

    loaded = load_config(Path(config) if config else None)
    for warning in loaded.warnings:
        stderr_log(f"W [config] {warning}")
    result = loaded.config
    if version:
        cluster = replace(result.cluster, kubernetes_version=normalise_version(version))
        result = replace(result, cluster=cluster)
    return result


def run(args: argparse.Namespace) -> int:
    from bootstrap.runtime.cluster import up

    if args.simulated_nodes < 0:
        raise UsageError("--simulated-nodes must be 0 or more")
    if args.nodes < 0:
        raise UsageError("--nodes must be 0 or more")
    config = load(args.config, args.kubernetes_version)
    if getattr(args, "free_ports", False):
        from bootstrap.runtime.ports import all_free

        config = all_free(config)
    handle = up(args.name, config, state_dir=args.state_dir,
                simulated_nodes=args.simulated_nodes, nodes=args.nodes)
    print(handle.kubeconfig, flush=True)
    return 0


__all__ = ["load", "run"]
