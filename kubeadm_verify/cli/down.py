"""``kubeadm-verify down``: stop what ``up`` started and remove the state dir; twice is a no-op."""

from __future__ import annotations

import argparse

from kubeadm_verify.errors import ExitStatus
from kubeadm_verify.settings import DownSettings


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.runtime.cluster import down, stderr_log

    settings = DownSettings(name=args.name, state_dir=args.state_dir)
    if not down(settings.name, state_dir=settings.state_dir):
        stderr_log(f"[reset] No cluster {settings.name!r}: nothing to do")
    return ExitStatus.OK


__all__ = ["run"]
