"""A new bootstrap token read back through a load balancer: an API server whose cache does not
hold it yet refuses it (401) after another has taken it. Against a fake of our ``Kube`` (its raw
requests) on a fake clock."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance.standard_base import kubeadm as k
from conformance.standard_base.kube import Kube
from tests.unit.standard_base.conftest import Clock

PATHS = ("/api/v1/namespaces/kube-system/configmaps/kubeadm-config", "/api/v1/secrets")


def _behind_a_balancer(clock: Clock, lagging_for_s: float) -> Kube:
    """Two API servers taking turns; the second refuses the token for ``lagging_for_s``."""
    began, turns = clock.now, [0]

    def raw(method: str, path: str, bearer: str | None = None, **kwargs: Any) -> Any:
        turns[0] += 1
        lagging = turns[0] % 2 == 0 and clock.now - began < lagging_for_s
        status = 401 if lagging else (403 if "secrets" in path else 200)
        return SimpleNamespace(status=status)

    return cast(Kube, SimpleNamespace(raw=raw))


def test_a_token_one_api_server_does_not_know_yet_is_asked_again(clock: Clock) -> None:
    got = k.answers_to_token(_behind_a_balancer(clock, 4.0), "abcdef.0123456789abcdef", PATHS)
    assert got == {PATHS[0]: 200, PATHS[1]: 403}


def test_a_token_refused_for_good_fails_naming_the_refusal(clock: Clock) -> None:
    began = clock.now
    with pytest.raises(AssertionError, match=r"refused \(HTTP 401\) for \['/api/v1/secrets'\]"):
        k.answers_to_token(_behind_a_balancer(clock, 1e9), "abcdef.0123456789abcdef", PATHS)
    assert k.TOKEN_KNOWN_EVERYWHERE_S <= clock.now - began < k.TOKEN_KNOWN_EVERYWHERE_S + 2
