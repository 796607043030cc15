"""``kubeadm-verify binaries``: put one release's upstream binaries in the cache, print the dir.

Only the directory goes to stdout, so ``BIN=$(kubeadm-verify binaries)`` works in scripts; every
status line goes to stderr.
"""

from __future__ import annotations

import argparse

from kubeadm_verify.errors import ExitStatus


def run(args: argparse.Namespace) -> ExitStatus:
    from bootstrap.upstream.binaries import ensure_binaries

    directory = ensure_binaries(args.kubernetes_version, args.source, args.mirror)
    print(directory, flush=True)
    return ExitStatus.OK
