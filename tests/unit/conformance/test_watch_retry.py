"""A watch refused with 429 (an API server still initialising the resource's watch cache) is
asked again within the watch's own time, as client-go's reflector does; any other refusal, or
a 429 that lasts, ends the test with the API server's answer."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client

from conformance.standard_base.kube import Kube

RESPONSE = object()


class Calls:
    """A typed list call that refuses with ``statuses`` in turn, then answers."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.kwargs: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.kwargs.append(kwargs)
        if self.statuses:
            raise client.ApiException(status=self.statuses.pop(0), reason="refused")
        return RESPONSE


def kube() -> Kube:
    return Kube(client.ApiClient())


def test_a_watch_refused_with_429_is_asked_again() -> None:
    calls = Calls(429, 429)
    stream = kube().events(calls, "g", "v1", "things", timeout=5)
    assert len(calls.kwargs) == 3 and all(k["watch"] for k in calls.kwargs)
    assert stream._response is RESPONSE


def test_another_refusal_ends_it_at_once() -> None:
    calls = Calls(403)
    with pytest.raises(client.ApiException) as refused:
        kube().events(calls, timeout=5)
    assert refused.value.status == 403 and len(calls.kwargs) == 1


def test_a_429_that_lasts_ends_it_within_the_watch_s_time() -> None:
    calls = Calls(*[429] * 100)
    started = time.monotonic()
    with pytest.raises(client.ApiException) as refused:
        kube().events(calls, timeout=1)
    assert refused.value.status == 429
    assert time.monotonic() - started < 2.5 and len(calls.kwargs) >= 2
