"""One process supervisor: a scan that fails when a second one appears.

``bootstrap.runtime.process`` is the one place that starts a process meant to run on (or in the
foreground under a deadline), records it and stops it: a pidfd opened before the start time is
checked, its group only while the leader is unreaped. A module that spawns (``posix_spawn``,
``Popen``, ``fork``) or signals (``kill``, ``killpg``, ``terminate``, ``send_signal``,
``pidfd_send_signal``, psutil's ``wait_procs``) on its own would be a second supervisor with
its own idea of which process a pid names. ``subprocess.run`` is not looked at: a tool run to
completion needs no supervisor. What may do so anyway is named below, each with its reason.
Signals are held (between a start and its record) one way only, ``interrupts.deferred``: nothing
else masks signals or installs a handler.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")
SUPERVISOR = "bootstrap/runtime/process.py"
SUPERVISING = frozenset(
    {
        "posix_spawn",
        "posix_spawnp",
        "Popen",
        "fork",
        "forkpty",
        "kill",
        "killpg",
        "terminate",
        "send_signal",
        "pidfd_send_signal",
        "wait_procs",
    }
)
ALLOWED = {
    "kubeadm_verify/access/execplugin.py": (
        "a credential plugin run to completion under its 60 s bound, its group killed with the"
        " run; the core may not import bootstrap"
    ),
    "bootstrap/upstream/gorun.py": (
        "`go build` run to completion, its output streamed; stopped by its own Popen handle"
        " when interrupted"
    ),
    "bootstrap/kubeadmrun/commands.py": (
        "a kubeadm command run to completion under its deadline, killed on an interrupt; its"
        " output read through a pipe so that the token and certificate key it prints are masked"
        " before any byte reaches a file"
    ),
    "bootstrap/kubeadmrun/kubeletunit.py": (
        "the node's stand-in for systemd's kubelet unit: a program of its own inside the node"
        " (importing nothing of the bootstrap), restarting the kubelet as Restart=always does"
    ),
}
SIGNAL_ALLOWED = {
    "bootstrap/kubeadmrun/kubeletunit.py": "the unit's own SIGTERM: stop the kubelet, then exit",
}


@functools.cache
def _trees() -> tuple[tuple[str, ast.Module], ...]:
    return tuple(
        (str(path.relative_to(REPO)), ast.parse(path.read_text(encoding="utf-8")))
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    )


def supervising(tree: ast.Module) -> set[str]:
    """The spawning and signalling calls (and imports of them by name) in ``tree``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SUPERVISING
        ):
            found.add(node.func.attr)
        elif isinstance(node, ast.ImportFrom):
            found.update(alias.name for alias in node.names if alias.name in SUPERVISING)
    return found


def test_one_supervisor_starts_and_stops_processes() -> None:
    offenders = {
        name: sorted(calls)
        for name, tree in _trees()
        if name != SUPERVISOR and name not in ALLOWED and (calls := supervising(tree))
    }
    assert offenders == {}, "start and stop processes through bootstrap.runtime.process"


SIGNAL_HOLDERS = frozenset({"pthread_sigmask", "signal", "sigwait", "sigtimedwait"})
"""``signal.signal`` and the mask: what holds or swaps a signal's handling."""
INTERRUPTS = "kubeadm_verify/interrupts.py"


def holding_signals(tree: ast.Module) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SIGNAL_HOLDERS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "signal"
    }


def test_one_way_holds_signals() -> None:
    """Between starting a process and recording it, signals wait in ``interrupts.deferred``
    (which holds with worker threads running); a second mechanism (a signal mask, a handler of
    its own) would hold them for one thread only, or not after the other's ends."""
    offenders = {
        name: sorted(calls)
        for name, tree in _trees()
        if name != INTERRUPTS and name not in SIGNAL_ALLOWED and (calls := holding_signals(tree))
    }
    assert offenders == {}, "hold signals with kubeadm_verify.interrupts.deferred"
    sample = ast.parse("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, held)\n")
    assert holding_signals(sample) == {"pthread_sigmask"}


def test_the_allowed_list_is_still_needed() -> None:
    """An entry whose module no longer supervises anything is dropped, not kept as a hole."""
    trees = dict(_trees())
    assert {name for name in ALLOWED if not supervising(trees[name])} == set()
    assert supervising(trees[SUPERVISOR]) >= {"posix_spawn", "killpg", "pidfd_send_signal"}


def test_the_scan_finds_a_second_supervisor() -> None:
    second = ast.parse(
        "import subprocess, os, psutil\n"
        "from os import killpg\n"
        "child = subprocess.Popen(['sleep', '1'])\n"
        "os.kill(child.pid, 9)\n"
        "psutil.Process(child.pid).terminate()\n"
        "done = subprocess.run(['true'])\n"
    )
    assert supervising(second) == {"Popen", "kill", "killpg", "terminate"}
