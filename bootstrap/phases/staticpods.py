"""The kubelet's part, played by us: run each static-Pod manifest's command as a local process.

kubeadm writes manifests and the kubelet starts (and on change, restarts) their containers. Here
the command of ``manifests/<component>.yaml`` runs directly, its first word resolved in the bin
dir of the cluster's release. Syncing is idempotent: a process already running the manifest's
current command is left alone; one running an older command is stopped first, as the kubelet
replaces a static Pod whose manifest changed.
"""

from __future__ import annotations

from pathlib import Path

from bootstrap.phases.manifests import manifest_command
from bootstrap.runtime import process
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.interrupts import deferred


def bin_dir(state: StateDir) -> Path:
    """The cluster's bin dir, as recorded when it was prepared."""
    recorded = state.cluster_record().bin_dir
    if not recorded:
        raise BootstrapError(f"no binaries recorded for the cluster in {state.root}")
    return Path(recorded)


def running(state: StateDir, component: str) -> ProcessRecord | None:
    for record in state.processes():
        if record.component == component and process.is_running(record):
            return record
    return None


def sync(
    state: StateDir, component: str, binaries: Path | None = None, env: dict[str, str] | None = None
) -> ProcessRecord:
    """Make the process of ``component`` run its manifest's command; return its record."""
    argv = manifest_command(state, component)
    if argv is None:
        raise BootstrapError(f"no static Pod manifest for {component} in {state.manifests}")
    digest = process.fingerprint(argv)
    current = running(state, component)
    if current is not None and current.fingerprint == digest:
        return current
    if current is not None:
        process.stop([current])
    executable = (binaries or bin_dir(state)) / Path(argv[0]).name
    if not executable.is_file():
        raise BootstrapError(f"{component}: no binary at {executable}")
    with deferred():  # started and recorded, or neither: the clean-up stops what is recorded
        record = process.start(
            component, [str(executable), *argv[1:]], state.log(component), env=env, digest=digest
        )
        state.add_process(record)
    return record


def exited(state: StateDir) -> list[ProcessRecord]:
    """Processes we started that are no longer running (a bad flag, a crash)."""
    return [record for record in state.processes() if not process.is_running(record)]


__all__ = ["bin_dir", "exited", "running", "sync"]
