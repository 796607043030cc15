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
from pathlib import Path
from typing import TYPE_CHECKING

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.record import replace
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
        kubeadm=args.kubeadm,
        control_planes=args.control_planes,
    )


def refuse_with_kubeadm(settings: UpSettings) -> None:
    """What the kubeadm-driven bring-up does not take, refused in one line: it writes the
    kubeadm configuration itself, from the nodes' plan, for a release whose pins it knows."""
    from kubeadm_verify.errors import UsageError
    from kubeadm_verify.pins import release_pins

    if settings.kubeadm is None:
        return
    if settings.config_file:
        raise UsageError("--config with --kubeadm: the kubeadm configuration is written for you")
    if settings.kubernetes_version:
        try:
            release_pins(settings.kubernetes_version)
        except UsageError as error:
            raise UsageError(f"--kubernetes-version with --kubeadm: {error}") from None


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.runtime.bringup import bring_up
    from bootstrap.runtime.spec import ClusterSpec
    from nodechecks.run import run as check_node

    settings = settings_from_args(args)
    refuse_with_kubeadm(settings)
    spec = ClusterSpec(
        name=settings.name,
        config=load(settings.config_file, settings.kubernetes_version),
        state_dir=Path(settings.state_dir) if settings.state_dir else None,
        simulated_nodes=settings.simulated_nodes,
        nodes=settings.nodes,
        free_ports=settings.free_ports,
        preflight=check_node,
        kubeadm=settings.kubeadm,
        control_planes=settings.control_planes,
    )
    with bring_up(spec, keep=lambda: True) as handle:
        print(handle.kubeconfig, flush=True)
    return ExitStatus.OK


__all__ = ["load", "run", "settings_from_args"]
