"""The official client's typed calls, as ``access.load`` makes the client: one overall deadline
and a size cap for every answer read whole, against a real TLS server on loopback that sends a
body without end or trickles its headers or body a byte at a time."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kubeadm_verify.access import Target, load
from kubeadm_verify.access.rawhttp import DeadlinePassed, TooLarge
from kubeadm_verify.access.typedcalls import bound_typed_calls
from tests.unit.core.hostile_http import VERSION, hostile
from tests.unit.core.test_client import _b64, _kubeconfig, _server_tls


def _typed_api(tmp_path: Path, url: str, ca: bytes, **bounds: Any) -> client.CustomObjectsApi:
    path = _kubeconfig(tmp_path, url, {"certificate-authority-data": _b64(ca)}, {"token": "t"})
    api_client, _ = load(Target((path,), None))
    if bounds:
        bound_typed_calls(api_client, **bounds)
    return client.CustomObjectsApi(api_client)


def _call(api: client.CustomObjectsApi, **options: Any) -> Any:
    """A typed call whose answer is any JSON object (the server answers every path alike)."""
    return api.list_cluster_custom_object("example.com", "v1", "things", **options)


def test_a_typed_call_reads_a_plain_answer(tmp_path: Path) -> None:
    server, ca = _server_tls(tmp_path)
    with hostile("plain", tls=server) as url:
        answer = _call(_typed_api(tmp_path, url, ca))
    assert answer == json.loads(VERSION)


def test_a_typed_call_refuses_a_body_without_end_at_the_cap(tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    server, ca = _server_tls(tmp_path)
    with hostile("endless", tls=server) as url, pytest.raises(TooLarge, match="larger than 64"):
        _call(_typed_api(tmp_path, url, ca))
    assert time.monotonic() - started < 20
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 400


@pytest.mark.parametrize("mode", ["trickle-headers", "trickle-body"])
def test_a_typed_call_ends_at_its_overall_deadline(tmp_path: Path, mode: str) -> None:
    """A byte every 0.2 s never trips a per-read timeout; the 2 s deadline ends the call."""
    server, ca = _server_tls(tmp_path)
    started = time.monotonic()
    with hostile(mode, gap_s=0.2, tls=server) as url:
        api = _typed_api(tmp_path, url, ca, deadline_s=2.0)
        with pytest.raises(DeadlinePassed, match="within 2s"):
            _call(api)
    assert time.monotonic() - started < 5


def test_a_stream_is_handed_over_unread_and_outlives_the_deadline(tmp_path: Path) -> None:
    """``_preload_content=False`` (a watch, a log) is the caller's to read and to bound."""
    server, ca = _server_tls(tmp_path)
    with hostile("plain", tls=server) as url:
        api = _typed_api(tmp_path, url, ca, deadline_s=0.5)
        raw = _call(api, _preload_content=False)
        time.sleep(1.0)
        assert raw.read() == VERSION
