"""Is the control plane up? kubeadm's ``[control-plane-check]``, and the stricter "ready" gate.

``wait_control_plane`` polls what kubeadm v1.37 polls (apiserver ``/livez`` as the admin user,
controller-manager ``/healthz``, scheduler ``/livez``, both unauthenticated) and prints its lines;
each exchange is bounded by ``access.rawhttp``, each wait is ``access.wait_for``. Unlike kubeadm
it also watches the processes, so a component that exits (a bad flag) fails the wait at once,
pointing at its log, instead of after four minutes. The apiserver is asked with
admin.conf's credentials, as kubeadm's waiter does, so ``anonymous-auth=false`` or an authorizer
that refuses anonymous requests does not keep a healthy control plane from counting as up.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.kubeadm import components
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.runtime import process
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitAborted, WaitTimedOut, rawhttp, wait_for
from kubeadm_verify.errors import BootstrapError

Log = Callable[[str], None]
CONTROL_PLANE_TIMEOUT = 240.0
"""kubeadm's ``controlPlaneComponentHealthCheck`` (4m0s)."""
READY_TIMEOUT = 120.0
POLL_INTERVAL = 0.1
CHECKED = (components.APISERVER, components.CONTROLLER_MANAGER, components.SCHEDULER)


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String``: ``1.002242613s``, ``502.3ms``, ``1m5.2s``."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    if nanos < 1000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return f"{nanos / 1e3:.3f}".rstrip("0").rstrip(".") + "µs"
    if nanos < 1_000_000_000:
        return f"{nanos / 1e6:.6f}".rstrip("0").rstrip(".") + "ms"
    minutes, rest = divmod(nanos, 60_000_000_000)
    hours, minutes = divmod(minutes, 60)
    secs = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    if minutes:
        return f"{minutes}m{secs}"
    return secs


def tls_context(ca_file: Path | None, client_pem: Path | None = None) -> ssl.SSLContext:
    """Verified against our CA (as ``client_pem``'s user, if given), or (as kubeadm for the kcm
    and scheduler) not verified at all."""
    if ca_file is not None:
        context = ssl.create_default_context(cafile=str(ca_file))
        if client_pem is not None:
            context.load_cert_chain(str(client_pem))
        return context
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def http_status(url: str, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> int:
    """The status of a GET, 0 when nothing answers within ``timeout`` (the whole exchange)."""
    return rawhttp.probe_status(url, context, deadline_s=timeout)


@dataclass(frozen=True)
class Check:
    component: str
    url: str
    context: ssl.SSLContext | None


def admin_context(state: StateDir) -> ssl.SSLContext:
    """TLS as admin.conf's user against the cluster CA: how kubeadm asks the apiserver.

    Without admin.conf (a phase run alone, before ``kubeconfig/admin``) the request is anonymous.
    """
    ca = state.pki / "ca.crt"
    if not state.admin_conf.exists():
        return tls_context(ca if ca.exists() else None)
    from bootstrap.phases.api import ApiClient

    with ApiClient.from_kubeconfig(state, "admin") as client:
        return client.ssl_context


def _checks(config: BootstrapConfig, state: StateDir, names: Sequence[str]) -> list[Check]:
    return [
        Check(
            name,
            components.health_url(name, config),
            admin_context(state) if name == components.APISERVER else tls_context(None),
        )
        for name in names
    ]


def failed_process(state: StateDir) -> str | None:
    """A one-line reason if a process we started has exited, naming its log."""
    for record in state.processes():
        if not process.is_running(record):
            return process.exited(record)
    return None


def wait_control_plane(
    config: BootstrapConfig, state: StateDir, log: Log, timeout: float = CONTROL_PLANE_TIMEOUT
) -> None:
    """kubeadm's ``WaitForControlPlaneComponents``, failing fast on a dead process."""
    log(
        "[control-plane-check] Waiting for healthy control plane components. "
        f"This can take up to {go_duration(timeout)}"
    )
    checks = _checks(config, state, CHECKED)
    for check in checks:
        log(f"[control-plane-check] Checking {check.component} at {check.url}")
    start = time.monotonic()
    pending = list(checks)

    def all_healthy() -> bool:
        for check in list(pending):
            if http_status(check.url, check.context, timeout=1.0) == 200:
                log(
                    f"[control-plane-check] {check.component} is healthy after "
                    f"{go_duration(time.monotonic() - start)}"
                )
                pending.remove(check)
        return not pending

    try:
        wait_for(
            all_healthy, timeout, abort_if=lambda: failed_process(state), interval=POLL_INTERVAL
        )
    except WaitAborted as aborted:
        raise BootstrapError(aborted.reason) from None
    except WaitTimedOut:
        for check in pending:
            log(
                f"[control-plane-check] {check.component} is not healthy after "
                f"{go_duration(time.monotonic() - start)}"
            )
        names = ", ".join(check.component for check in pending)
        raise BootstrapError(
            f"{names} not healthy after {go_duration(timeout)}; see {state.logs}"
        ) from None


def wait_until(
    condition: Callable[[], bool],
    what: str,
    state: StateDir,
    timeout: float = READY_TIMEOUT,
    interval: float = POLL_INTERVAL,
) -> None:
    """Poll ``condition`` until true; fail at once if a process died, or after ``timeout``."""
    try:
        wait_for(condition, timeout, abort_if=lambda: failed_process(state), interval=interval)
    except WaitAborted as aborted:
        raise BootstrapError(aborted.reason) from None
    except WaitTimedOut:
        raise BootstrapError(
            f"timed out after {go_duration(timeout)} waiting for {what}; see {state.logs}"
        ) from None


def etcd_ready(config: BootstrapConfig) -> bool:
    return http_status(components.health_url(components.ETCD, config)) == 200


def endpoints_ok(config: BootstrapConfig, state: StateDir) -> bool:
    """etcd ``/readyz``, apiserver ``/livez`` and ``/readyz``, kcm and scheduler healthy."""
    if not etcd_ready(config):
        return False
    context = admin_context(state)
    base = f"{config.endpoint.url}"
    if any(http_status(base + path, context) != 200 for path in ("/livez", "/readyz")):
        return False
    checks = _checks(config, state, (components.CONTROLLER_MANAGER, components.SCHEDULER))
    return all(http_status(check.url, check.context) == 200 for check in checks)


__all__ = [
    "CONTROL_PLANE_TIMEOUT",
    "READY_TIMEOUT",
    "admin_context",
    "endpoints_ok",
    "etcd_ready",
    "failed_process",
    "go_duration",
    "http_status",
    "tls_context",
    "wait_control_plane",
    "wait_until",
]
