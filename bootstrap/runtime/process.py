"""Starting and stopping the processes of a local control plane, by recorded pid only.

A process is started in its own session (so a terminal's Ctrl-C reaches only us, and we decide
the order of shutdown) with its output in one log file. What we record is the pid, the start time
the kernel gives it (``/proc/<pid>/stat`` field 22) and the boot id: a pid alone can be reused by
an unrelated process once ours has gone. Stopping opens a pidfd first and only then checks the
start time, so the signal goes to the process we checked and to no other (no window between the
check and the kill). Nothing is ever looked up or killed by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import signal
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from bootstrap.runtime.state import ProcessRecord
from kubeadm_verify.errors import BootstrapError

TERM_TIMEOUT = 10.0
"""How long a component gets to exit after SIGTERM before it is killed."""
KILL_TIMEOUT = 5.0
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def read_stat(pid: int) -> tuple[str, int] | None:
    """``(state, start_ticks)`` of ``pid`` from ``/proc``, or None if there is no such process.

    The command name (field 2) may hold spaces and parentheses, so fields are counted from the
    last ``)``: state is field 3, starttime field 22.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[19])


def fingerprint(argv: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(argv).encode()).hexdigest()[:16]


def start(
    component: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    digest: str = "",
) -> ProcessRecord:
    """Start ``argv`` in a new session, stdout and stderr appended to ``log_path``.

    ``posix_spawn`` rather than ``subprocess.Popen``: no ``Popen`` object outlives the call (the
    process is meant to outlive us when ``up`` returns), signal dispositions are reset to their
    defaults even if our caller ignores SIGINT, and ``setsid`` comes for free.
    """
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, log_fd, 1),
            (os.POSIX_SPAWN_DUP2, log_fd, 2),
        ]
        environment = dict(os.environ if env is None else env)
        try:
            pid = os.posix_spawn(
                argv[0],
                list(argv),
                environment,
                file_actions=actions,
                setsid=True,
                setsigdef=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE),
                setsigmask=(),
            )
        except OSError as error:
            reason = f"cannot start {component} ({argv[0]}): {error.strerror}"
            raise BootstrapError(reason) from error
    finally:
        os.close(log_fd)
    stat = read_stat(pid)
    ticks = stat[1] if stat else 0
    return ProcessRecord(
        component=component,
        pid=pid,
        start_ticks=ticks,
        boot_id=boot_id(),
        argv=tuple(argv),
        log=str(log_path),
        fingerprint=digest or fingerprint(argv),
    )


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends: between starting a process and recording
    it, an interrupt would leave a process nobody knows to stop."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _reap(pid: int) -> int | None:
    """Collect our own child's exit status (None if it is not our child or still running)."""
    try:
        waited, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if waited == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def is_running(record: ProcessRecord) -> bool:
    """The recorded process, and not a newer one with the same pid, is alive (zombies are not)."""
    if record.boot_id and record.boot_id != boot_id():
        return False
    stat = read_stat(record.pid)
    if stat is None or stat[1] != record.start_ticks:
        return False
    return stat[0] not in ("Z", "X")  # a zombie is left for ``exit_code`` or ``stop`` to reap


def exit_code(record: ProcessRecord) -> int | None:
    """The exit status of a process that has ended, when we are its parent and can collect it."""
    stat = read_stat(record.pid)
    if stat is not None and stat[1] == record.start_ticks and stat[0] not in ("Z", "X"):
        return None
    return _reap(record.pid)


def _open_verified(record: ProcessRecord) -> int | None:
    """A pidfd for exactly the recorded process, or None if it is gone (or the pid was reused)."""
    if record.boot_id and record.boot_id != boot_id():
        return None
    try:
        pidfd = os.pidfd_open(record.pid)
    except ProcessLookupError:
        return None
    if not is_running(record):  # checked after opening: the pidfd cannot now change process
        os.close(pidfd)
        return None
    return pidfd


def _signal(pidfd: int, signum: int) -> None:
    """Gone already, or not ours to signal: either way the caller's final check says so."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        signal.pidfd_send_signal(pidfd, signum)


def _wait(pidfds: dict[int, int], records: dict[int, ProcessRecord], timeout: float) -> None:
    """Wait until every pidfd reports its process exited, or ``timeout`` passes."""
    poller = select.poll()
    for pidfd in pidfds.values():
        poller.register(pidfd, select.POLLIN)
    deadline = time.monotonic() + timeout
    pending = set(pidfds)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        for fd, _ in poller.poll(left * 1000):
            pid = next(p for p, f in pidfds.items() if f == fd)
            poller.unregister(fd)
            pending.discard(pid)
            _reap(pid)
        pending = {pid for pid in pending if is_running(records[pid])}


def stop(
    records: Iterable[ProcessRecord],
    *,
    term_timeout: float = TERM_TIMEOUT,
    kill_timeout: float = KILL_TIMEOUT,
) -> list[ProcessRecord]:
    """SIGTERM every recorded process still alive, wait, SIGKILL what is left, wait again.

    Returns the records of processes that were still alive and got signalled. Records whose
    process is gone, or whose pid now names another process, are left alone.
    """
    pidfds: dict[int, int] = {}
    by_pid: dict[int, ProcessRecord] = {}
    for record in records:
        pidfd = _open_verified(record)
        if pidfd is not None:
            pidfds[record.pid], by_pid[record.pid] = pidfd, record
    try:
        for pidfd in pidfds.values():
            _signal(pidfd, signal.SIGTERM)
        _wait(pidfds, by_pid, term_timeout)
        left = {pid: fd for pid, fd in pidfds.items() if is_running(by_pid[pid])}
        for pidfd in left.values():
            _signal(pidfd, signal.SIGKILL)
        _wait(left, by_pid, kill_timeout)
    finally:
        for pidfd in pidfds.values():
            os.close(pidfd)
    return list(by_pid.values())


def still_running(records: Iterable[ProcessRecord]) -> list[ProcessRecord]:
    return [record for record in records if is_running(record)]


__all__ = [
    "KILL_TIMEOUT",
    "TERM_TIMEOUT",
    "boot_id",
    "exit_code",
    "fingerprint",
    "is_running",
    "read_stat",
    "signals_deferred",
    "start",
    "still_running",
    "stop",
]
