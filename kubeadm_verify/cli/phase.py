"""``kubeadm-verify phase NAME[/SUB]``: run one of kubeadm's init phases against a state dir.

The lines go to stdout, as kubeadm prints them. Ports and tokens resolved by an earlier ``up`` or
``phase`` of the same cluster are reused, so phases can be run one by one in any session.
"""

from __future__ import annotations

import argparse

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.settings import PhaseSettings


def _stdout(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.phases import init_phases, select
    from bootstrap.phases import run as run_phases
    from bootstrap.runtime.cluster import find_binaries, resolve
    from bootstrap.runtime.state import StateDir
    from kubeadm_verify.cli.up import load
    from kubeadm_verify.interrupts import interruptible
    from nodechecks.run import run as check_node

    settings = PhaseSettings(
        phase=args.phase, name=args.name, config_file=args.config, state_dir=args.state_dir
    )
    selected = select(settings.phase, init_phases(check_node))
    config = load(settings.config_file, None)
    state = StateDir.for_cluster(settings.name, settings.state_dir)
    with interruptible():
        resolved = resolve(config, state)
        if any(phase.starts_processes for phase in selected):
            find_binaries(resolved, state)  # only phases that run a binary fetch or build one
        run_phases(selected, resolved, state, _stdout)
    return ExitStatus.OK


__all__ = ["run"]
