"""``kubeadm-verify phase NAME[/SUB]``: run one of kubeadm's init phases against a state dir.

The lines go to stdout, as kubeadm prints them. Ports and tokens resolved by an earlier ``up`` or
``phase`` of the same cluster are reused, so phases can be run one by one in any session.
"""

from __future__ import annotations

import argparse


def _stdout(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from bootstrap.phases import run as run_phases
    from bootstrap.phases import select
    from bootstrap.runtime.cluster import find_binaries, interruptible, resolve
    from bootstrap.runtime.state import StateDir
    from kubeadm_verify.cli.up import load

    selected = select(args.phase)
    config = load(args.config, None)
    state = StateDir.for_cluster(args.name, args.state_dir)
    with interruptible():
        resolved = resolve(config, state)
        if any(phase.starts_processes for phase in selected):
            find_binaries(resolved, state)  # only phases that run a binary fetch or build one
        run_phases(selected, resolved, state, _stdout)
    return 0


__all__ = ["run"]
