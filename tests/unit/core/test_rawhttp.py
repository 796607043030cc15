"""The HTTP door: one overall deadline and a size cap per exchange, against a real local server
that sends a body without end or trickles its headers or body a byte at a time."""

from __future__ import annotations

import resource
import ssl
import time
from pathlib import Path

import pytest
import urllib3

from kubeadm_verify.access import rawhttp
from tests.unit.core.hostile_http import VERSION, hostile
from tests.unit.core.test_access import self_signed


def test_a_plain_answer_is_read_whole() -> None:
    with hostile("plain") as url:
        answer = rawhttp.request(urllib3.PoolManager(), "GET", f"{url}/version")
    assert (answer.status, answer.data) == (200, VERSION)
    assert answer.headers["Content-Type"] == "application/json"


def test_a_body_without_end_is_refused_at_the_cap() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with hostile("endless") as url, pytest.raises(rawhttp.TooLarge, match="larger than 16 MiB"):
        rawhttp.request(urllib3.PoolManager(), "GET", f"{url}/version")
    assert time.monotonic() - started < 10
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200


@pytest.mark.parametrize("mode", ["trickle-headers", "trickle-body"])
def test_a_trickle_ends_at_the_overall_deadline(mode: str) -> None:
    """A byte every 0.2 s never trips the 15 s read timeout; the 2 s deadline ends it."""
    started = time.monotonic()
    with hostile(mode, gap_s=0.2) as url, pytest.raises(rawhttp.DeadlinePassed, match="within 2s"):
        rawhttp.request(urllib3.PoolManager(), "GET", f"{url}/version", deadline_s=2)
    assert time.monotonic() - started < 4


def test_a_pool_used_again_after_a_refusal_still_answers() -> None:
    pool = urllib3.PoolManager()
    with hostile("endless") as url, pytest.raises(rawhttp.TooLarge):
        rawhttp.request(pool, "GET", f"{url}/version", max_bytes=1024)
    with hostile("plain") as url:
        assert rawhttp.request(pool, "GET", f"{url}/version").data == VERSION


def test_over_tls_a_trickled_body_ends_at_the_deadline(tmp_path: Path) -> None:
    """The deadline ends a TLS connection too (the socket under the TLS layer is shut)."""
    cert, key = self_signed("localhost")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=str(tmp_path / "cert.pem"))
    with hostile("plain", tls=server) as url:
        assert rawhttp.request(pool, "GET", f"{url}/version").data == VERSION
    started = time.monotonic()
    with (
        hostile("trickle-body", gap_s=0.2, tls=server) as url,
        pytest.raises(rawhttp.DeadlinePassed, match="within 2s"),
    ):
        rawhttp.request(pool, "GET", f"{url}/version", deadline_s=2)
    assert time.monotonic() - started < 4


def test_a_health_probe_is_a_status_within_its_deadline() -> None:
    """A component's health probe: the status when it answers; 0, at its deadline, when it
    trickles or sends more than a health answer; 0 when nothing listens."""
    with hostile("plain") as url:
        assert rawhttp.probe_status(f"{url}/healthz") == 200
    for mode in ("trickle-body", "endless"):
        started = time.monotonic()
        with hostile(mode, gap_s=0.2) as url:
            assert rawhttp.probe_status(f"{url}/healthz", deadline_s=1) == 0
        assert time.monotonic() - started < 3
    assert rawhttp.probe_status("http://127.0.0.1:1/healthz") == 0
