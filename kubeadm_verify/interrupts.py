"""SIGINT and SIGTERM through one handler, and credentials' temporary copies kept where we
remove them.

CI cancels a job with SIGTERM; Python's default for it is to die on the spot, skipping every
``finally`` that deletes namespaces, stops processes and writes the reports. While a verb runs,
both signals therefore raise ``KeyboardInterrupt`` through ``interrupt_handler``: a second one
during the clean-up is ignored so the clean-up can finish, and a forked child that Ctrl-C's
process-group signal reaches exits instead of running the parent's clean-up. Steps that must not
be cut in half hold both until they end (``deferred``).

The kubernetes client writes a kubeconfig's inline client key and certificates to files made by
``tempfile.mkstemp`` and deletes them only at interpreter exit. A run gets its own 0700 temporary
directory, which those copies (and pytest's and e2e.test's temporary files) land in; it is removed
when the run ends, however it ends.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

Handler = Callable[[int, FrameType | None], None]


def _on_main_thread() -> bool:
    """Whether this is the main thread, the one Python delivers signals to. ``threading`` is
    asked only once something has loaded it: no thread can have been started through it before,
    and the node verb (timed against kubeadm's preflight) has no use for it."""
    threading = sys.modules.get("threading")
    return threading is None or bool(threading.current_thread() is threading.main_thread())


def interrupt_handler(owner: int) -> Handler:
    """The signal as ``KeyboardInterrupt``, in process ``owner`` only; a second one of the same
    kind waits for the clean-up. A forked child (pyroute2 forks to make a network namespace and
    stops the child with a signal) exits at once instead of unwinding a copy of our stack, whose
    ``finally`` would tear down what the parent still uses."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            os._exit(128 + signum)
        if _reporting_unraisable:
            # Raised here it would be reported as the hook's own failure and lost: ask again.
            _raise_again_soon(signum)
            return
        signal.signal(signum, signal.SIG_IGN)
        raise SignalInterrupt(signum)

    return handler


class SignalInterrupt(KeyboardInterrupt):
    """The ``KeyboardInterrupt`` our handler raises, knowing its signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


_reporting_unraisable = False
"""True while ``_raise_again_if_swallowed``'s hook runs: a signal then is asked again later."""


def _raise_again_soon(signum: int) -> None:
    """The signal again from another thread a moment later, acted on by the main thread at its
    next ordinary step (``_thread.interrupt_main`` runs the installed handler there)."""
    import threading

    again = threading.Timer(0.01, _thread.interrupt_main, (signal.Signals(signum),))
    again.daemon = True
    again.start()


def _raise_again_if_swallowed(
    owner: int,
    previous: Callable[[Any], object],
) -> Callable[[Any], object]:
    """An ``unraisablehook``: Python runs a signal handler wherever the main thread is, also in
    a finalizer (urllib3 closes a pooled connection when the garbage collector finds it), and an
    exception raised there is only reported, never propagated. The handler has ignored the
    signal by then, so the interrupt would be lost and the run go on; instead the handler is put
    back and the signal raised again a moment later, to be acted on at an ordinary step."""

    def hook(unraisable: Any) -> object:
        error = unraisable.exc_value
        if isinstance(error, SignalInterrupt) and os.getpid() == owner and _on_main_thread():
            global _reporting_unraisable
            _reporting_unraisable = True
            try:
                signal.signal(error.signum, interrupt_handler(owner))
                # From another thread, a moment later: raised here, it would land in this hook,
                # which is still inside the finalizer's report; should it come before the hook
                # is done (a loaded machine), the handler asks again rather than raise.
                _raise_again_soon(error.signum)
            finally:
                _reporting_unraisable = False
            return None
        return previous(unraisable)

    return hook


@contextlib.contextmanager
def interruptible(
    signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    """While the block runs, ``signals`` raise ``KeyboardInterrupt`` so every ``finally`` runs;
    outside the main thread (where Python delivers no signal) it changes nothing."""
    if not _on_main_thread():
        yield
        return
    owner, previous = os.getpid(), sys.unraisablehook
    sys.unraisablehook = _raise_again_if_swallowed(owner, previous)
    try:
        with _handled(signals, interrupt_handler(owner)):
            yield
    finally:
        sys.unraisablehook = previous


@contextlib.contextmanager
def _handled(signals: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    """``handler`` for ``signals`` while the block runs, the previous handlers back after."""
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


def sigterm_interrupts() -> contextlib.AbstractContextManager[None]:
    """SIGTERM raises ``KeyboardInterrupt`` as Ctrl-C does, inside a run whose SIGINT is already
    handled (the CLI's ``interruptible``, or a plain session's Python default)."""
    return interruptible((signal.SIGTERM,))


@contextlib.contextmanager
def uninterruptible() -> Iterator[None]:
    """Clean-up must finish: SIGINT and SIGTERM are ignored meanwhile rather than leaving
    orphans behind."""
    if not _on_main_thread():
        yield
        return
    with _handled((signal.SIGINT, signal.SIGTERM), signal.SIG_IGN):
        yield


@contextlib.contextmanager
def deferred(
    signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    """Hold ``signals`` until the block ends, then act on the first as the handler before would
    have: a step that makes something and records it (a process started, a network namespace,
    a node's cgroups) is never cut in half, where the clean-up would find the record without
    the thing or the thing after the clean-up. This is the project's one way to hold signals
    over such a step. Python runs its handlers in the main thread whichever thread the kernel
    chose, so this holds with worker threads running, unlike a signal mask (which holds only
    for the thread that set it, while the kernel may hand the signal to another).

    Outside the main thread it does nothing, and needs to do nothing: no handler runs there,
    so nothing can raise in a worker between its start and its record; the handler raises in
    the main thread instead, and every caller that lets workers start or make things waits for
    them before its clean-up reads the record (``up`` settles its staging workers,
    ``join`` and ``stage`` likewise), so the clean-up comes after the worker's record.
    A forked child (pyroute2's) exits as under ``interrupt_handler``: the step waits for it, so
    the clean-up still comes after whatever the child did."""
    if not _on_main_thread():
        yield
        return
    caught: list[int] = []
    owner = os.getpid()

    def hold(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            os._exit(128 + signum)
        caught.append(signum)

    previous = {sig: signal.getsignal(sig) for sig in signals}
    try:
        with _handled(signals, hold):
            yield
    finally:
        if caught:
            _act_on(caught[0], previous[signal.Signals(caught[0])])


def leave_signals_to_the_main_thread() -> None:
    """A worker thread's initializer: block SIGINT and SIGTERM in it, so that the kernel hands
    a process-directed one to the main thread. Python runs handlers only there; one that lands
    in a worker blocked in a system call (waiting for ``ctr import``) leaves the main thread
    asleep in its own wait until that worker returns, and the worker's error (its child died of
    the same Ctrl-C) would then be reported instead of the interrupt. A child inherits the mask:
    the long-lived ones are started with an empty one (``bootstrap.runtime.process.start``),
    Go programs (``go``, ``ctr``) unblock both at start as the Go runtime does for every signal
    that kills, and the few C tools run from a worker (iptables) are short and just finish."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _act_on(signum: int, handler: object) -> None:
    """What ``handler`` (as ``signal.signal`` returned it) does with ``signum``."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)


@contextlib.contextmanager
def private_tempdir(prefix: str = "kubeadm-verify-") -> Iterator[Path]:
    """A 0700 directory that is the process's (and its children's) temporary directory."""
    import shutil  # here, not above: ``kubeadm-verify node`` runs without a private directory
    import tempfile
    from pathlib import Path

    folder = tempfile.mkdtemp(prefix=prefix)
    saved_dir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = folder
    try:
        yield Path(folder)
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        _forget_client_copies(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _forget_client_copies(folder: str) -> None:
    """Drop the kubernetes client's memory of copies that are about to be deleted with
    ``folder``: it reuses a copy by content, and a later run in this process must not be handed
    a path that no longer exists."""
    module = sys.modules.get("kubernetes.config.kube_config")
    copies = getattr(module, "_temp_files", None)
    if not isinstance(copies, dict):
        return
    prefix = folder.rstrip(os.sep) + os.sep
    for key in [k for k, path in copies.items() if str(path).startswith(prefix)]:
        del copies[key]


__all__ = [
    "SignalInterrupt",
    "deferred",
    "interrupt_handler",
    "interruptible",
    "leave_signals_to_the_main_thread",
    "private_tempdir",
    "sigterm_interrupts",
    "uninterruptible",
]
