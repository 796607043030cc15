"""Node processes: started like the control plane's, watched and stopped through psutil.

A process is named by its pid and psutil's ``create_time``: psutil refuses to signal a pid whose
create time no longer matches (a reused pid), so a stale record can never hit another process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from bootstrap.runtime import process

TERM_TIMEOUT = 10.0


@dataclass(frozen=True)
class NodeProcess:
    """One process of a node: what it is, and what identifies exactly it."""

    node: str
    component: str
    pid: int
    create_time: float
    log: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeProcess:
        return cls(
            str(data["node"]),
            str(data["component"]),
            int(data["pid"]),
            float(data["create_time"]),
            str(data["log"]),
        )


def spawn(
    node: str, component: str, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> NodeProcess:
    """Start ``argv`` in its own session (``bootstrap.runtime.process.start``) and record it."""
    record = process.start(f"{node}/{component}", argv, log, env=env)
    try:
        created = psutil.Process(record.pid).create_time()
    except psutil.NoSuchProcess:
        created = 0.0
    return NodeProcess(node, component, record.pid, created, str(log))


def handle(proc: NodeProcess) -> psutil.Process | None:
    """A psutil handle on exactly the recorded process, or None if it has gone."""
    try:
        found = psutil.Process(proc.pid)
        if abs(found.create_time() - proc.create_time) > 0.01:
            return None
        if found.status() == psutil.STATUS_ZOMBIE:
            with contextlib.suppress(ChildProcessError):
                found.wait(0)
            return None
        return found
    except (psutil.NoSuchProcess, psutil.TimeoutExpired):
        return None


def alive(proc: NodeProcess) -> bool:
    return handle(proc) is not None


def rss_bytes(proc: NodeProcess) -> int:
    found = handle(proc)
    try:
        return int(found.memory_info().rss) if found else 0
    except psutil.NoSuchProcess:
        return 0


def stop(procs: Iterable[NodeProcess], timeout: float = TERM_TIMEOUT) -> list[NodeProcess]:
    """SIGTERM, wait, SIGKILL what is left; return the records of processes still alive."""
    handles = {proc: found for proc in procs if (found := handle(proc)) is not None}
    for found in handles.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            found.terminate()
    _, left = psutil.wait_procs(list(handles.values()), timeout=timeout)
    for found in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            found.kill()
    psutil.wait_procs(left, timeout=5)
    return [proc for proc in handles if alive(proc)]
