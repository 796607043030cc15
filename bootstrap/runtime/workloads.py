"""Beyond ``kubeadm init``: what tests expect of a healthy cluster before they start.

``up`` is done when kubeadm would be done, so a cluster missing a controller still comes up to be
judged. The fixtures then wait, separately and by name, for what the controller-manager's
controllers should have made (the ``default`` ServiceAccount, cluster-info signed for every
signing token), and a timeout says which of them did not happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX, parse_token
from bootstrap.phases.api import ApiClient
from bootstrap.runtime import health, ports
from bootstrap.runtime.advertise import with_advertise_address
from bootstrap.runtime.cluster import resolve_tokens
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitAborted, WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

Log = Callable[[str], None]


def as_recorded(config: BootstrapConfig, state: StateDir) -> BootstrapConfig:
    """``config`` as the cluster in ``state`` runs it, read from its record only."""
    record = state.cluster_record()
    if not record.recorded:
        raise BootstrapError(f"{state.root} records no cluster; was it brought up?")
    recorded = with_advertise_address(config, record.advertise_address or None)
    recorded = ports.apply(recorded, dict(record.ports))
    return replace(recorded, bootstrap_tokens=resolve_tokens(recorded, list(record.tokens)))


def _signing_token_ids(config: BootstrapConfig) -> list[str]:
    return [
        parse_token(spec.token).id for spec in config.bootstrap_tokens if "signing" in spec.usages
    ]


def _has_default_service_account(client: ApiClient) -> bool:
    return client.get_or_none("/api/v1/namespaces/default/serviceaccounts/default") is not None


def _cluster_info_signed(config: BootstrapConfig, client: ApiClient) -> bool:
    info = client.get_or_none("/api/v1/namespaces/kube-public/configmaps/cluster-info")
    data = (info or {}).get("data") or {}
    return all(f"{JWS_KEY_PREFIX}{token_id}" in data for token_id in _signing_token_ids(config))


def workload_conditions(
    config: BootstrapConfig, state: StateDir, client: ApiClient
) -> list[tuple[str, Callable[[], bool]]]:
    """What a test expects of a healthy cluster that ``kubeadm init`` does not wait for; each
    named by what the controller-manager's controllers should have done."""
    ids = ", ".join(_signing_token_ids(config)) or "none"
    return [
        (
            "etcd and the apiserver's /readyz to report ready",
            lambda: health.endpoints_ok(config, state),
        ),
        (
            "the serviceaccount controller to create the 'default' ServiceAccount",
            lambda: _has_default_service_account(client),
        ),
        (
            f"the bootstrapsigner controller to sign cluster-info for token(s) {ids}",
            lambda: _cluster_info_signed(config, client),
        ),
    ]


def wait_for_workloads(
    config: BootstrapConfig, state: StateDir, log: Log, timeout: float = health.READY_TIMEOUT
) -> None:
    """The fixtures' wait, separate from "up": fail naming the first condition not met.

    ``config`` may be unresolved: the record in ``state`` (what ``up`` chose) gives the ports,
    the advertise address and the tokens.
    """
    resolved = as_recorded(config, state)
    client = ApiClient.from_kubeconfig(state, "admin")
    start = time.monotonic()
    try:
        for what, condition in workload_conditions(resolved, state, client):
            left = max(timeout - (time.monotonic() - start), 0.0)  # one timeout for them all
            try:
                wait_for(
                    lambda condition=condition: _holds(condition),  # type: ignore[misc]
                    left,
                    abort_if=lambda: health.failed_process(state),
                    interval=health.POLL_INTERVAL,
                )
            except WaitAborted as aborted:
                raise BootstrapError(aborted.reason) from None
            except WaitTimedOut:
                raise BootstrapError(
                    f"timed out after {health.go_duration(timeout)} "
                    f"waiting for {what}; see {state.logs}"
                ) from None
    finally:
        client.close()
    took = health.go_duration(time.monotonic() - start)
    log(f"[kubeadm-verify] The cluster is ready for workloads after {took}")


def _holds(condition: Callable[[], bool]) -> bool:
    from bootstrap.phases.api import ApiError

    try:
        return condition()
    except (ApiError, OSError):
        return False


__all__ = ["as_recorded", "wait_for_workloads", "workload_conditions"]
