"""``kubeadm-verify upgrade``: a kubeadm-driven local cluster upgraded with kubeadm, node by node
(``bootstrap.kubeadmrun.upgrade``), reported step by step like a tier, with the workload that
had to keep answering through it (``bootstrap.kubeadmrun.keepanswering``).

Exit 0 when every step passed and the workload never went unanswered, 1 when a step failed (it
names the node, the step and what kubeadm said) or a request did; 2 when the upgrade cannot
start (no such cluster, not driven by kubeadm, a release it cannot go to)."""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.e2e.settings import duration_seconds
from kubeadm_verify.cli.common import finish
from kubeadm_verify.errors import ExitStatus, UsageError
from kubeadm_verify.pins import KUBERNETES_VERSION
from kubeadm_verify.report.console import make_console, print_tests
from kubeadm_verify.settings import Output, UpgradeSettings


def settings_from_args(args: argparse.Namespace) -> UpgradeSettings:
    return UpgradeSettings(
        name=args.name,
        state_dir=args.state_dir,
        to=args.to,
        kubeadm=args.kubeadm,
        workload=not args.no_workload,
        patches=args.patches,
        upgrade_manifests_timeout=args.upgrade_manifests_timeout,
        etcd_upgrade=not args.no_etcd_upgrade,
        output=Output(Path(args.output_dir), args.format),
    )


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.kubeadmrun.upgrade import UpgradeOptions
    from bootstrap.kubeadmrun.upgradepatches import read_patches
    from bootstrap.kubeadmrun.upgradereport import run_upgrade
    from bootstrap.runtime.cluster import driven_by_kubeadm, stderr_log
    from bootstrap.runtime.state import StateDir

    settings = settings_from_args(args)
    wait = settings.upgrade_manifests_timeout
    options = UpgradeOptions(  # the user's input first, before any cluster is looked at
        patches=read_patches(Path(settings.patches)) if settings.patches else {},
        upgrade_manifests_s=(
            duration_seconds(wait, "--upgrade-manifests-timeout") if wait is not None else None
        ),
        etcd_upgrade=settings.etcd_upgrade,
    )
    state = StateDir.for_cluster(settings.name, settings.state_dir)
    if not state.exists():
        raise UsageError(f"no cluster {settings.name!r} at {state.root}")
    if not driven_by_kubeadm(state):
        raise UsageError(
            f"cluster {settings.name!r} was not brought up by kubeadm (up --kubeadm): "
            "only kubeadm upgrades a cluster"
        )
    kubeadm = Path(settings.kubeadm) if settings.kubeadm else None
    if kubeadm is not None and not kubeadm.is_file():
        raise UsageError(f"--kubeadm {kubeadm}: no such file")
    report = run_upgrade(
        state.root,
        settings.to or KUBERNETES_VERSION,
        kubeadm,
        settings.workload,
        stderr_log,
        options,
    )
    if settings.output.fmt == "text":
        print_tests(make_console(), report)
    return finish(report, settings.output.directory, settings.output.fmt)


__all__ = ["run", "settings_from_args"]
