"""The one supervisor: every process we start and do not simply run to completion, started,
watched and stopped here, by recorded pid only.

A process is started in its own session (so a terminal's Ctrl-C reaches only us, and we decide
the order of shutdown) with its output in one log file. What we record is the pid, the start time
the kernel gives it (``/proc/<pid>/stat`` field 22) and the boot id: a pid alone can be reused by
an unrelated process once ours has gone. Stopping opens a pidfd first and only then checks the
start time, so the signal goes to the process we checked and to no other (no window between the
check and the kill). Nothing is ever looked up or killed by name.

Three kinds of caller share it: the control plane's components and kwok (``up`` returns, they
run on), each real node's containerd and kubelet (recorded in the nodes record), and the e2e
tier's ginkgo, run in the foreground to its end or its deadline (``run``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.runtime.state import ProcessRecord
from kubeadm_verify.access import wait_for
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred

TERM_TIMEOUT = 10.0
"""How long a component gets to exit after SIGTERM before it is killed."""
KILL_TIMEOUT = 5.0
REAP_TIMEOUT = 5.0
"""How long an ended process's status may take to become collectable (``exit_code``)."""
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
ENV = Path("/usr/bin/env")
"""coreutils' ``env --chdir``: ``posix_spawn`` has no working-directory action in Python 3.11,
and changing our own directory around a spawn would move every other thread with it."""
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


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


def state_of(pid: int) -> str:
    """``state D`` (in the kernel, or frozen), ``state Z`` and the like, or ``gone``: what a
    message says of a process that would not die."""
    stat = read_stat(pid)
    return f"state {stat[0]}" if stat else "gone"


def fingerprint(argv: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(argv).encode()).hexdigest()[:16]


def start(
    component: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    digest: str = "",
    cwd: Path | None = None,
) -> ProcessRecord:
    """Start ``argv`` in a new session, stdout and stderr appended to ``log_path`` (in ``cwd``,
    through ``env --chdir``, which then becomes ``argv`` under the same pid and start time).

    ``posix_spawn`` rather than ``subprocess.Popen``: no ``Popen`` object outlives the call (the
    process is meant to outlive us when ``up`` returns), signal dispositions are reset to their
    defaults even if our caller ignores SIGINT, the signal mask is emptied even when a worker
    thread (which blocks SIGINT and SIGTERM) starts it, and ``setsid`` comes for free.
    """
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    spawned = list(argv) if cwd is None else [str(ENV), f"--chdir={cwd}", "--", *argv]
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
                spawned[0],
                spawned,
                environment,
                file_actions=actions,
                setsid=True,
                setsigdef=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE),
                setsigmask=(),
            )
        except OSError as error:
            reason = f"cannot start {component} ({spawned[0]}): {error.strerror}"
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


def _reap(pid: int) -> int | None:
    """Collect our own child's exit status (None if it is not our child or still running)."""
    try:
        waited, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if waited == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _is_ours(record: ProcessRecord) -> bool:
    """The pid names the recorded process (running or a zombie not yet reaped)."""
    if record.boot_id and record.boot_id != boot_id():
        return False
    stat = read_stat(record.pid)
    return stat is not None and stat[1] == record.start_ticks


def is_running(record: ProcessRecord) -> bool:
    """The recorded process, and not a newer one with the same pid, is alive (zombies are not)."""
    stat = read_stat(record.pid) if _is_ours(record) else None
    return stat is not None and stat[0] not in ("Z", "X")  # a zombie waits for ``stop`` to reap


def wait_while_running(
    record: ProcessRecord, ready: Callable[[], bool], timeout_s: float, what: str
) -> None:
    """Until ``ready()`` (a socket or a marker file appears) through the one wait, given up at
    once should the process that makes it exit: ``WaitFailed`` says which."""
    wait_for(
        ready,
        timeout_s,
        abort_if=lambda: None if is_running(record) else f"{record.component} exited",
        interval=0.05,
        what=what,
    )


def exit_code(record: ProcessRecord, timeout_s: float = REAP_TIMEOUT) -> int | None:
    """The exit status of a process that has ended, when we are its parent and can collect it.

    A program with threads (every Go component) has ended for ``is_running`` as soon as its
    main thread is a zombie, but its status can be collected only once its other threads have
    died too: under load that is a moment later, so our own child's is waited for on its pidfd
    (readable once the whole process has exited), up to ``timeout_s``."""
    if is_running(record):
        return None
    pidfd = _open_verified(record)
    if pidfd is None:
        return None  # reaped already, or the pid now names another process
    try:
        if _own_child(record.pid):
            _poll(pidfd, timeout_s)
    finally:
        os.close(pidfd)
    return _reap(record.pid)


def exited(record: ProcessRecord) -> str:
    """The one line that says a process of ours has ended: its component, its exit status when
    it can be had (it is our child), and its log."""
    code = exit_code(record)
    status = f" with status {code}" if code is not None else ""
    return f"{record.component} exited{status}; see {record.log}"


def rss_bytes(record: ProcessRecord) -> int:
    """Resident memory of the recorded process (0 once it has gone): ``/proc/<pid>/statm``'s
    second field, in pages, as ``ps`` and psutil read it."""
    if not is_running(record):
        return 0
    try:
        fields = Path(f"/proc/{record.pid}/statm").read_text(encoding="ascii").split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_SIZE if len(fields) > 1 else 0


def still_running(records: Iterable[ProcessRecord]) -> list[ProcessRecord]:
    return [record for record in records if is_running(record)]


def _open_verified(record: ProcessRecord) -> int | None:
    """A pidfd for exactly the recorded process, or None if it is gone (or the pid was reused).
    A zombie still counts: its pid, and its group id, stay ours until it is reaped."""
    if record.boot_id and record.boot_id != boot_id():
        return None
    try:
        pidfd = os.pidfd_open(record.pid)
    except ProcessLookupError:
        return None
    if not _is_ours(record):  # checked after opening: the pidfd cannot now change process
        os.close(pidfd)
        return None
    return pidfd


def _own_child(pid: int) -> bool:
    """``pid`` is our child: until we reap it, no other process can have its pid, nor lead a
    group of that id (``WNOWAIT`` leaves an exited child for ``_reap``)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _signal(pidfd: int, pid: int, signum: int, group: bool) -> None:
    """Gone already, or not ours to signal: either way the caller's final check says so. The
    group as well only for our own child (see ``_own_child``): another's leader may be reaped,
    and its number reused, between our check and the signal."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        signal.pidfd_send_signal(pidfd, signum)
    if group and _own_child(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)


def _poll(pidfd: int, timeout: float) -> bool:
    """Whether the process has exited (a pidfd polls readable then), waiting up to ``timeout``."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def _wait(pidfds: Mapping[int, int], timeout: float) -> None:
    """Wait until every pidfd reports its process exited, or ``timeout`` passes; reap nothing,
    so that a group can still be signalled by its leader's pid."""
    poller = select.poll()
    for pidfd in pidfds.values():
        poller.register(pidfd, select.POLLIN)
    deadline = time.monotonic() + timeout
    pending = set(pidfds.values())
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        for fd, _ in poller.poll(left * 1000):
            poller.unregister(fd)
            pending.discard(fd)


@dataclass(frozen=True)
class _Stopped:
    signalled: list[ProcessRecord]
    """The records whose process was still running and got a signal."""
    codes: dict[int, int | None]
    """Exit statuses by pid, of the processes that were our children."""


def _stop(
    records: Iterable[ProcessRecord],
    first: signal.Signals,
    term_timeout: float,
    kill_timeout: float,
    group: bool,
) -> _Stopped:
    held: dict[int, tuple[int, ProcessRecord]] = {}
    for record in records:
        pidfd = _open_verified(record)
        if pidfd is not None:
            held[record.pid] = (pidfd, record)
    try:
        running = {pid: fd for pid, (fd, record) in held.items() if is_running(record)}
        for pid, pidfd in running.items():
            _signal(pidfd, pid, first, group)
        _wait(running, term_timeout)
        left = {pid: fd for pid, fd in running.items() if not _poll(fd, 0)}
        for pid, pidfd in left.items():
            _signal(pidfd, pid, signal.SIGKILL, group)
        _wait(left, kill_timeout)
        if group:  # what the leaders left behind, while their unreaped pids still hold the group
            for pid, (pidfd, _) in held.items():
                _signal(pidfd, pid, signal.SIGKILL, group)
        codes = {pid: _reap(pid) for pid in held}
    finally:
        for pidfd, _ in held.values():
            os.close(pidfd)
    return _Stopped([held[pid][1] for pid in running], codes)


def stop(
    records: Iterable[ProcessRecord],
    *,
    first: signal.Signals = signal.SIGTERM,
    term_timeout: float = TERM_TIMEOUT,
    kill_timeout: float = KILL_TIMEOUT,
    group: bool = False,
) -> list[ProcessRecord]:
    """``first`` (SIGTERM) to every recorded process still alive, wait, SIGKILL what is left,
    wait again; with ``group``, each one's process group too (for our own children: a program
    that starts workers of its own, as ginkgo does), whose stragglers then get SIGKILL.

    Returns the records of processes that were still alive and got signalled. Records whose
    process is gone, or whose pid now names another process, are left alone.
    """
    return _stop(records, first, term_timeout, kill_timeout, group).signalled


def kill_if(pid: int, still_ours: Callable[[int], bool]) -> bool:
    """SIGKILL ``pid``, a process we did not start but found (in a node's cgroup), if
    ``still_ours(pid)`` holds once a pidfd is open on it: checked after opening, so a pid
    reused in between is never signalled. Whether it was signalled."""
    try:
        pidfd = os.pidfd_open(pid)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        if not still_ours(pid):
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return True
    finally:
        os.close(pidfd)


@dataclass(frozen=True)
class Finished:
    """How a foreground run ended: its exit status (negative for a signal, None if it could not
    be collected) and whether it was stopped at its deadline."""

    code: int | None
    timed_out: bool


def run(
    component: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    timeout_s: float,
    cwd: Path | None = None,
    first: signal.Signals = signal.SIGINT,
    grace_s: float = TERM_TIMEOUT,
    kill_timeout: float = KILL_TIMEOUT,
) -> Finished:
    """Run ``argv`` in the foreground, started as ``start`` starts everything, until it exits or
    ``timeout_s`` passes; then, or on any exception (an interrupt), stop it and its process
    group as ``stop`` does, ``first`` then SIGKILL after ``grace_s``. The start and its record
    are one step for an interrupt (``interrupts.deferred``): a Ctrl-C at that moment still
    finds the process to stop."""
    record: ProcessRecord | None = None
    try:
        with deferred():
            record = start(component, argv, log_path, cwd=cwd)
        pidfd = os.pidfd_open(record.pid)  # our unreaped child: it cannot be another process
        try:
            exited = _poll(pidfd, timeout_s)
        finally:
            os.close(pidfd)
    except BaseException:
        if record is not None:
            _stop([record], first, grace_s, kill_timeout, group=True)
        raise
    stopped = _stop([record], first, grace_s, kill_timeout, group=True)
    return Finished(stopped.codes.get(record.pid), timed_out=not exited)


__all__ = [
    "KILL_TIMEOUT",
    "REAP_TIMEOUT",
    "TERM_TIMEOUT",
    "Finished",
    "boot_id",
    "exit_code",
    "fingerprint",
    "is_running",
    "kill_if",
    "read_stat",
    "rss_bytes",
    "run",
    "start",
    "still_running",
    "stop",
    "wait_while_running",
]
