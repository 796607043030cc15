"""The node tier inside a node, just before kubeadm's own preflight there: ``check_node``.

An operator about to run ``kubeadm init`` or ``join`` on a machine runs ``kubeadm-verify node``
on it first. So does the bring-up, in the node's namespaces and mount view (so ``--root`` is not
needed), with the kubeadm configuration kubeadm is about to read (its role, its ignored
preflight errors) and kubeadm's ``PATH``. Its JSON and JUnit go to the cluster's logs beside
kubeadm's output for the same node (``<node>-node-tier/``, beside ``<node>-kubeadm-init.log``),
so the two verdicts can be lined up check by check. Its verdicts do not stop the bring-up:
kubeadm's own preflight decides whether kubeadm goes on, as it would for the operator.

The tier runs through its CLI (``python -m kubeadm_verify node``), not imported: bootstrap
never imports a tier.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bootstrap.kubeadmrun import commands, kubeadmconfig, node
from bootstrap.kubeadmrun.machine import enter_argv
from bootstrap.runtime.state import StateDir
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.errors import BootstrapError, ExitStatus
from kubeadm_verify.options import ENV_PREFIX

OUTPUT_IN_NODE = "/var/lib/kubeadm-verify/node-tier"
"""The node's own path (``/var`` is the node's), which the host reads through ``host_view``."""
TIMEOUT_S = 120.0
REPORTS = ("results.json", "junit.xml")


def _env(parts: NodeParts) -> dict[str, str]:
    """kubeadm's environment (its ``PATH``), with this package importable, and none of the
    caller's ``KUBEADM_VERIFY_*`` settings: the bring-up alone says how the node is checked."""
    env = node.python_env(commands.command_env(node.path_dirs(parts)))
    return {name: value for name, value in env.items() if not name.startswith(ENV_PREFIX)}


def reports_dir(state: StateDir, name: str) -> Path:
    """Where a node's reports are kept, beside kubeadm's logs for it."""
    return state.logs / f"{name}-node-tier"


def check_node(
    state: StateDir, parts: NodeParts, booted: node.Booted, secrets: Sequence[str]
) -> Path:
    """``kubeadm-verify node --config`` (the kubeadm configuration already written) inside the
    node; its reports copied to ``reports_dir``, which is returned. A check that fails is a
    verdict, not an error here (exit 1); the tier unable to run at all raises. The
    configuration holds the join token: ``secrets`` are kept out of the log as kubeadm's are."""
    argv = [
        *enter_argv(parts.host.nsenter, booted.holder),
        sys.executable,
        "-m",
        "kubeadm_verify",
        "node",
        "--config",
        kubeadmconfig.CONFIG_PATH,
        "--format",
        "json",
        "--output-dir",
        OUTPUT_IN_NODE,
    ]
    machine = booted.machine
    commands.run_logged(
        argv,
        state.logs / f"{machine.name}-node-tier.log",
        TIMEOUT_S,
        what=f"kubeadm-verify node on {machine.name}",
        secrets=secrets,
        env=_env(parts),
        accepted=(ExitStatus.OK, ExitStatus.FAILED),
    )
    written = machine.host_view(f"{OUTPUT_IN_NODE}/node")
    kept = reports_dir(state, machine.name)
    kept.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in REPORTS:
        if not (written / name).is_file():
            raise BootstrapError(f"kubeadm-verify node on {machine.name} wrote no {name}")
        shutil.copyfile(written / name, kept / name)
    return kept
