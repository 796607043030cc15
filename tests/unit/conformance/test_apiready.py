"""The API server's readiness, asked before any test: what its ``/readyz`` says, judged into one
line that names etcd's loss when its storage checks fail, waited for within a bound."""

from __future__ import annotations

import time
from types import SimpleNamespace as NS
from typing import Any

import urllib3

from conformance.standard_base import apiready
from conformance.standard_base.kube import RawResponse
from kubeadm_verify.results import Status

HOST = "https://10.213.1.2:6443"
LOST_QUORUM = b"""[+]ping ok
[+]log ok
[-]etcd failed: reason withheld
[+]informer-sync ok
[-]etcd-readiness failed: reason withheld
[+]poststarthook/start-apiserver-admission-initializer ok
readyz check failed
"""


class Answers:
    """``Kube.raw`` for ``GET /readyz?verbose``: the given answers in turn, the last repeated."""

    def __init__(self, *answers: tuple[int, bytes] | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, Any]] = []
        self.api_client = NS(configuration=NS(host=HOST))

    def raw(self, method: str, path: str, **kwargs: Any) -> RawResponse:
        self.asked.append((method, path, kwargs.get("query")))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return RawResponse(answer[0], {}, answer[1])


def test_failed_checks_are_read_from_the_verbose_answer() -> None:
    assert apiready.failed_checks(LOST_QUORUM.decode()) == ("etcd", "etcd-readiness")
    assert apiready.failed_checks("[+]ping ok\nreadyz check passed\n") == ()


def test_a_lost_storage_is_named_with_what_it_means() -> None:
    said = apiready.judge(apiready.Readiness(500, ("etcd", "etcd-readiness")), HOST)
    assert said is not None
    assert said.startswith(f"the API server at {HOST} is not ready: its /readyz says etcd, ")
    assert "etcd has lost its quorum" in said


def test_another_failed_check_is_said_without_blaming_etcd() -> None:
    said = apiready.judge(apiready.Readiness(500, ("shutdown",)), HOST)
    assert said == f"the API server at {HOST} is not ready: its /readyz says shutdown failed"


def test_ready_or_not_telling_is_not_judged() -> None:
    for status in (200, 401, 403, 404):
        assert apiready.judge(apiready.Readiness(status), HOST) is None


def test_no_answer_is_said_as_the_failure() -> None:
    said = apiready.judge(apiready.Readiness(0, error="connection refused"), HOST)
    assert said == f"the API server at {HOST} did not answer GET /readyz: connection refused"


def test_a_ready_server_is_asked_once_verbosely() -> None:
    kube = Answers((200, b"[+]ping ok\nreadyz check passed\n"))
    assert apiready.wait_ready(kube, settle_s=5, poll_s=0.01) is None  # type: ignore[arg-type]
    assert kube.asked == [("GET", "/readyz", [("verbose", "1")])]


def test_a_server_that_becomes_ready_within_the_bound_passes() -> None:
    kube = Answers(
        urllib3.exceptions.ProtocolError("Connection aborted."),
        (500, LOST_QUORUM),
        (200, b"ok"),
    )
    assert apiready.wait_ready(kube, settle_s=5, poll_s=0.01) is None  # type: ignore[arg-type]
    assert len(kube.asked) == 3


def test_a_server_still_unready_at_the_bound_is_judged_from_its_last_answer() -> None:
    kube = Answers((500, LOST_QUORUM))
    started = time.monotonic()
    said = apiready.wait_ready(kube, settle_s=0.3, poll_s=0.05)  # type: ignore[arg-type]
    assert time.monotonic() - started < 2
    assert said is not None and "etcd has lost its quorum" in said
    assert len(kube.asked) > 1


def test_the_unready_report_is_one_failure_that_says_no_test_ran() -> None:
    report = apiready.unready_report("the API server is not ready", apiready.now(), 1.5)
    assert report.exit_code() == 1
    (result,) = report.results
    assert result.id == "cluster/api-ready" and result.status is Status.FAIL
    assert result.message == "the API server is not ready; no test was run"
