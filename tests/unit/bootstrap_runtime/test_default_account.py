"""A test's namespace is handed over once its ``default`` ServiceAccount exists, as upstream's
framework waits for it; the wait is bounded and a refusal other than 404 is not swallowed."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from bootstrap.fixtures.namespaces import await_default_account


class _Core:
    """Our client wrapper's boundary: answers 404 ``missing`` times, then the account (or
    ``refusal`` instead of an answer)."""

    def __init__(self, missing: int, refusal: int | None = None) -> None:
        self.missing, self.refusal, self.asked = missing, refusal, 0

    def read_namespaced_service_account(self, name: str, namespace: str) -> object:
        assert (name, namespace) == ("default", "ns-1")
        self.asked += 1
        if self.refusal is not None:
            raise ApiException(status=self.refusal, reason="Forbidden")
        if self.asked <= self.missing:
            raise ApiException(status=404, reason="Not Found")
        return object()


def test_the_account_is_waited_for() -> None:
    core = _Core(missing=3)
    assert await_default_account(core, "ns-1", 5.0)
    assert core.asked == 4


def test_an_account_that_never_comes_ends_the_wait_at_its_bound() -> None:
    core = _Core(missing=10**6)
    assert not await_default_account(core, "ns-1", 0.3)
    assert core.asked > 1


def test_another_refusal_is_raised() -> None:
    with pytest.raises(ApiException):
        await_default_account(_Core(missing=0, refusal=403), "ns-1", 5.0)
