"""The one way a local cluster comes up: ``bring_up(spec)``, all or nothing, down afterwards.

``kubeadm-verify up``, ``cluster --up``, the ``kv_cluster`` fixture, the tests and the benches
all go through it. Coming up is all or nothing: if a step fails, or SIGINT or SIGTERM arrives,
every process it started is stopped and the state dir removed before the error goes on (the
component logs are copied out first, and the error points at the copy). The cluster goes down
again when the ``with`` block ends, unless the caller's ``keep`` says otherwise when it ends
normally (``up`` keeps it, the fixtures ask ``--keep-cluster``); SIGTERM interrupts the block as
Ctrl-C does, so that teardown also runs when CI cancels a job.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from bootstrap.runtime import process
from bootstrap.runtime.cluster import (
    KUBEADM_DRIVER,
    create,
    handle_for,
    nodes_running,
    stderr_log,
    teardown,
)
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.spec import ClusterSpec
from bootstrap.runtime.state import MARKER, StateDir
from bootstrap.upstream.versions import cache_root
from kubeadm_verify.errors import BootstrapError, UsageError
from kubeadm_verify.interrupts import interruptible, sigterm_interrupts, uninterruptible

Log = Callable[[str], None]


def never() -> bool:
    return False


@contextlib.contextmanager
def bring_up(
    spec: ClusterSpec, *, log: Log = stderr_log, keep: Callable[[], bool] = never
) -> Iterator[ClusterHandle]:
    """The cluster ``spec`` describes, up for the ``with`` block and down after it.

    ``keep()`` is asked when the block ends without an error: True leaves the cluster running
    (``kubeadm-verify down`` removes it). An error or an interrupt in the block always takes it
    down: a caller that did not finish with it has handed it to nobody.
    """
    with sigterm_interrupts():
        handle = start(spec, log)
        try:
            yield handle
        except BaseException:
            with uninterruptible():
                teardown(spec.state)
            raise
        if not keep():
            with uninterruptible():
                teardown(spec.state)


def start(spec: ClusterSpec, log: Log = stderr_log) -> ClusterHandle:
    """Bring the cluster up and leave it running; on any failure leave nothing behind.

    Done when every init phase is, the control plane healthy as kubeadm's wait-control-plane
    polls it (a misconfigured cluster kubeadm would finish also comes up, to be judged), its
    nodes started and, with ``spec.wait_for_workloads``, it takes workloads.
    """
    state = spec.state
    claim(state)
    try:
        with interruptible():
            if spec.kubeadm is not None:
                return _start_with_kubeadm(spec, state, log)
            resolved = create(spec, state, log)
            if spec.wait_for_workloads:
                from bootstrap.runtime.workloads import wait_for_workloads

                wait_for_workloads(resolved, state, log)
    except BootstrapError as error:
        with uninterruptible():
            kept = keep_logs(state)
            teardown(state)
        message = str(error).replace(str(state.logs), str(kept)) if kept else str(error)
        raise BootstrapError(message) from error
    except BaseException:
        with uninterruptible():
            teardown(state)
        raise
    return handle_for(state, resolved, spec.simulated_nodes)


def _start_with_kubeadm(spec: ClusterSpec, state: StateDir, log: Log) -> ClusterHandle:
    """The real kubeadm brings the cluster up (``bootstrap.kubeadmrun``); it returns once every
    node is Ready and CoreDNS answers from each, so there is nothing more to wait for."""
    from bootstrap.kubeadmrun import bring_up_kubeadm
    from bootstrap.kubeadmrun import record as kubeadm_record

    state.create()
    state.update_cluster_record(name=state.name, driver=KUBEADM_DRIVER)
    made = bring_up_kubeadm(
        state.root,
        spec.kubeadm_binary,
        workers=spec.nodes,
        log=log,
        control_planes=spec.control_planes,
        version=spec.config.cluster.kubernetes_version,
    )
    version = str(kubeadm_record.load(state).get("version") or "")
    state.update_cluster_record(version=version)
    return ClusterHandle(
        name=state.name,
        kubeconfig=state.admin_conf,
        context=None,
        version=version,
        owned=True,
        state_dir=state.root,
        kubeadm=made,
    )


def claim(state: StateDir) -> None:
    """Refuse to overwrite a running cluster, or a directory that is not one of our state dirs;
    a dead cluster's dir is torn down as ``down`` would (its nodes' runtime dir with it)."""
    if not state.exists():
        return
    if process.still_running(state.processes()) or nodes_running(state):
        raise UsageError(
            f"cluster {state.name!r} is already up ({state.root}); run `kubeadm-verify down` first"
        )
    if not state.is_ours():
        if not state.is_empty():
            raise UsageError(
                f"{state.root} exists and is not a kubeadm-verify state dir "
                f"(no {MARKER}); not touching it"
            )
        return
    teardown(state)


def failed_logs_dir(name: str) -> Path:
    return cache_root() / "failed" / name


def keep_logs(state: StateDir) -> Path | None:
    """Copy the component logs out of a state dir about to be removed, for the error to cite."""
    if not state.logs.is_dir():
        return None
    target = failed_logs_dir(state.name or state.root.name)
    with contextlib.suppress(OSError):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(state.logs, target)
        return target
    return None


__all__ = ["ClusterSpec", "bring_up", "claim", "failed_logs_dir", "keep_logs", "start"]
