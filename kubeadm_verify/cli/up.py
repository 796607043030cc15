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

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.settings import UpSettings

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


def settings_from_args(args: argparse.Namespace) -> UpSettings:
    return UpSettings(
        name=args.name,
        config_file=args.config,
        kubernetes_version=args.kubernetes_version,
        simulated_nodes=args.simulated_nodes,
        state_dir=args.state_dir,
        free_ports=bool(getattr(args, "free_ports", False)),
        nodes=args.nodes,
    )


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec
    from nodechecks.run import run as check_node

    settings = settings_from_args(args)
    spec = ClusterSpec(
        name=settings.name,
        config=load(settings.config_file, settings.kubernetes_version),
        state_dir=Path(settings.state_dir) if settings.state_dir else None,
        simulated_nodes=settings.simulated_nodes,
        nodes=settings.nodes,
        free_ports=settings.free_ports,
        preflight=check_node,
    )
    with bring_up(spec, keep=lambda: True) as handle:
        print(handle.kubeconfig, flush=True)
    return ExitStatus.OK


__all__ = ["load", "run", "settings_from_args"]
