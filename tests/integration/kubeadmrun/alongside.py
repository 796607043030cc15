"""What the kubeadm tests need to verify a kubeadm-driven cluster as its operator would: a program
run inside a node (``in_node``), and the node tier's verdicts lined up with kubeadm's own
preflight output for the same node (``line_up``).

kubeadm prints a preflight check only when it has something to say: ``[WARNING <name>]`` for a
warning or an ignored error, ``[ERROR <name>]`` for an error that stops it. Every check kubeadm
ran and did not name passed. So where both judge (a check of kubeadm's origin that ours ran and
did not skip), kubeadm's verdict is ``warn``/``fail`` when named and ``pass`` when not; a check
kubeadm names that ours does not have at all is a difference too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.kubeadmrun.machine import enter_argv
from bootstrap.kubeadmrun.node import python_env
from bootstrap.runtime.nodes.record import NodeEntry
from bootstrap.upstream.nodeparts import ensure_node_parts

NAMED = re.compile(r"\[(WARNING|ERROR) ([^\]]+)\]")
KUBEADM_VERDICT = {"WARNING": "warn", "ERROR": "fail"}
PREFLIGHT_END = ("[certs]", "[discovery]", "[kubelet-start]", "[download-certs]")
"""The phases after preflight: what kubeadm prints from them is not a preflight verdict."""


def in_node(
    entry: NodeEntry, argv: list[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``argv`` run inside the node's network, mount and UTS namespaces."""
    holder = next(proc for proc in entry.processes if proc.component == "holder")
    nsenter = ensure_node_parts(None, None).host.nsenter
    return subprocess.run(
        [*enter_argv(nsenter, holder), *argv],
        env=python_env(dict(env if env is not None else os.environ)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def python_in_node(
    entry: NodeEntry, args: list[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return in_node(entry, [sys.executable, *args], timeout)


def kubeadm_preflight(log: str) -> dict[str, str]:
    """The checks kubeadm named in its preflight (check name -> ``warn``/``fail``)."""
    named: dict[str, str] = {}
    for line in log.splitlines():
        if any(phase in line for phase in PREFLIGHT_END):
            break
        found = NAMED.search(line)
        if found:
            named[found.group(2)] = KUBEADM_VERDICT[found.group(1)]
    return named


@dataclass(frozen=True)
class Lined:
    """One node's checks: each judged by both, with kubeadm's verdict and ours."""

    node: str
    rows: dict[str, tuple[str, str]]
    unknown_to_us: list[str]

    @property
    def differ(self) -> dict[str, tuple[str, str]]:
        return {i: pair for i, pair in self.rows.items() if pair[0] != pair[1]}

    def table(self) -> str:
        lines = [f"{self.node}: {len(self.rows) - len(self.differ)}/{len(self.rows)} agree"]
        for check_id, (theirs, ours) in sorted(self.rows.items()):
            mark = "" if theirs == ours else "  <- differs"
            lines.append(f"  {check_id:<58} kubeadm {theirs:<5} ours {ours:<5}{mark}")
        lines.extend(
            f"  {name:<58} kubeadm named it; ours has no such check" for name in self.unknown_to_us
        )
        return "\n".join(lines)


def line_up(node: str, kubeadm_log: str, results: dict[str, Any]) -> Lined:
    """Our node tier's checks of kubeadm's origin beside kubeadm's own verdicts."""
    named = {name.lower(): verdict for name, verdict in kubeadm_preflight(kubeadm_log).items()}
    ours = {
        str(c["id"]): str(c["status"])
        for c in results["checks"]
        if c["origin"] == "kubeadm" and c["status"] != "skip"
    }
    rows = {i: (named.get(i.lower(), "pass"), verdict) for i, verdict in ours.items()}
    known = {i.lower() for i in ours} | {
        str(c["id"]).lower() for c in results["checks"] if c["status"] == "skip"
    }
    unknown = sorted(name for name in named if name not in known)
    return Lined(node, rows, unknown)


def load_results(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text())
    return data
