"""``kubeadm-verify down``: stop what ``up`` started and remove the state dir; twice is a no-op."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from bootstrap.runtime.cluster import down, stderr_log

    if not down(args.name, state_dir=args.state_dir):
        stderr_log(f"[reset] No cluster {args.name!r}: nothing to do")
    return 0


__all__ = ["run"]
