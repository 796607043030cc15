"""The progress listener: real POSTs over HTTP, counts rebuilt from per-process messages."""

from __future__ import annotations

import http.client
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rich.console import Console

from conformance.e2e.progress import MAX_BODY, ProgressListener, Tally


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_tally_counts_distinct_specs_across_processes() -> None:
    tally = Tally()
    updates = [
        {"msg": "", "total": 5},
        {"msg": "Test Suite starting", "total": 5},
        {"msg": "PASSED [sig-a] one", "total": 0, "completed": 1},  # process 1's own counters
        {"msg": "FAILED [sig-b] two", "total": 5, "failed": 1},  # process 2's
        {"msg": "PASSED [sig-a] one", "total": 0, "completed": 1},  # a repeated post
        {"msg": "Test Suite completed", "total": 0},
    ]
    failures = [tally.apply(update) for update in updates]
    assert failures == [None, None, None, "[sig-b] two", None, None]
    assert (tally.total, tally.completed, len(tally.failed)) == (5, 2, 1)


def test_listener_receives_real_posts_and_draws_failures() -> None:
    out = io.StringIO()
    with ProgressListener(Console(file=out, force_terminal=False, width=200)) as listener:
        assert listener.url.startswith("http://127.0.0.1:")
        starting = json.dumps({"msg": "Test Suite starting", "total": 3}).encode()
        assert post(listener.url, starting) == 200
        assert post(listener.url, b'{"msg": "PASSED [sig-a] one", "total": 3}') == 200
        assert post(listener.url, b'{"msg": "FAILED [sig-b] two", "total": 3}') == 200
        assert (listener.tally.total, listener.tally.completed) == (3, 2)
    assert "FAILED [sig-b] two" in out.getvalue()


@pytest.mark.parametrize(("body", "status"), [(b"not json", 400), (b"[1, 2]", 400)])
def test_listener_rejects_what_is_not_a_json_object(body: bytes, status: int) -> None:
    with ProgressListener(None) as listener:
        assert post(listener.url, body) == status
        assert listener.tally.total == 0


def test_listener_refuses_oversized_bodies_unread() -> None:
    with ProgressListener(None) as listener:
        parts = urllib.parse.urlsplit(listener.url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Length", str(MAX_BODY + 1))  # announced, never sent
        connection.endheaders()
        assert connection.getresponse().status == 413
        connection.close()


def test_listener_stops_listening_on_exit() -> None:
    with ProgressListener(None) as listener:
        url = listener.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(urllib.request.Request(url, b"{}"), timeout=2)
