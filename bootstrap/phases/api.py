"""The bootstrap's way to the API server it just started: the project's light client
(``kubeadm_verify.access.Client``, no import of the official one, whose import alone costs more
than a phase) as the user of one of our kubeconfigs, and kubeadm's retry of API calls.

Credentials come from the kubeconfig kubeadm would use (``admin.conf``, or ``super-admin.conf``
to bootstrap the admin binding), read through the one kubeconfig door and kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import ApiError, Client, WaitTimedOut, collection_path, wait_for
from kubeadm_verify.errors import BootstrapError, InputError

API_TIMEOUT = 60.0
"""kubeadm's ``KubernetesAPICall`` timeout (1m), retried every 500 ms."""
RETRY_INTERVAL = 0.5
_RETRIABLE = (500, 502, 503, 504, 429)
T = TypeVar("T")


class ApiClient(Client):
    """The light client, made from ``<state>/<name>.conf``."""

    @classmethod
    def from_kubeconfig(cls, state: StateDir, name: str = "admin") -> ApiClient:
        """A client as the user of ``<state>/<name>.conf`` (its current context)."""
        try:
            return cls.from_file(state.kubeconfig(name))
        except InputError as error:
            raise BootstrapError(str(error)) from error


def retry(action: Callable[[], T], what: str, timeout: float = API_TIMEOUT) -> T:
    """Run ``action`` until it stops failing with a transient error, as kubeadm's API calls do."""
    failures: list[ApiError] = []

    def attempt() -> tuple[T] | None:
        try:
            return (action(),)  # in a tuple: an action may well answer None or False
        except ApiError as error:
            if error.status not in _RETRIABLE and error.status != 0:
                raise BootstrapError(f"{what}: {error}") from error
            failures.append(error)
            return None

    try:
        return wait_for(attempt, timeout, interval=RETRY_INTERVAL, what=what)[0]
    except WaitTimedOut:
        raise BootstrapError(f"{what}: {failures[-1]}") from failures[-1]


__all__ = ["API_TIMEOUT", "ApiClient", "ApiError", "collection_path", "retry"]
