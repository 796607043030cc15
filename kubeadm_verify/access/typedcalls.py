"""The official client's typed calls under the same bounds as ``rawhttp``: one overall deadline
and a size cap for every answer it reads whole.

The kubernetes client reads every answer it deserialises through ``RESTResponse.read``, which
takes urllib3's ``data``: the whole body, however large, for as long as the server sends it, and
by default with no timeout at all. ``bound_typed_calls`` puts the client's one request method
under a ``Deadline`` (connect, TLS, headers) and hands back a response whose ``read`` takes the
body in pieces, within what is left of the same deadline and up to a cap. A call made with
``_preload_content=False`` (a watch, a log stream) gets the raw urllib3 response once its
headers are in: a stream is bounded by the caller's own timeouts (``timeout_seconds``), not cut
at the deadline of one exchange.
"""

from __future__ import annotations

import time
from typing import Any

import urllib3
from kubernetes.client import rest

from kubeadm_verify.access.rawhttp import DeadlinePassed, read_capped
from kubeadm_verify.deadline import Deadline

TYPED_DEADLINE_S = 90.0
"""A whole typed call: the API server ends a request it cannot answer at 60 s
(``--request-timeout``), so a longer wait means no answer is coming."""
TYPED_MAX_BYTES = 64 * 1024 * 1024
"""Above the largest answer a test reads whole (the OpenAPI v2 document, a list of a thousand
simulated Nodes: a few MiB each)."""


class BoundedResponse(rest.RESTResponse):  # type: ignore[misc]  # the client is untyped
    """A ``RESTResponse`` whose body is read within the call's deadline and up to the cap."""

    def __init__(self, resp: Any, url: str, end: float, seconds: float, max_bytes: int) -> None:
        super().__init__(resp)
        self._url, self._end, self._seconds, self._max_bytes = url, end, seconds, max_bytes

    data: bytes | None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        complete = False
        with Deadline(max(self._end - time.monotonic(), 0.001)) as deadline:
            deadline.watch(getattr(getattr(self.response, "connection", None), "sock", None))
            try:
                body = read_capped(self.response, self._url, self._max_bytes)
                complete = True
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if deadline.expired:
                    raise DeadlinePassed(self._url, self._seconds) from exc
                raise
            finally:
                if not complete:
                    self.response.close()  # never hand a half-read connection back to the pool
                self.response.release_conn()
        if deadline.expired:
            raise DeadlinePassed(self._url, self._seconds)
        self.data = body
        return body


def bound_typed_calls(
    api_client: Any, deadline_s: float = TYPED_DEADLINE_S, max_bytes: int = TYPED_MAX_BYTES
) -> Any:
    """``api_client`` with every call under one deadline and its answers under a cap (its pools
    must be watched: ``access.connect.load`` makes them so); called again, new bounds."""
    rest_client = api_client.rest_client
    # Bounds set again replace the earlier ones: nested, the inner deadline would watch the
    # sockets and the outer one never end the call.
    send = getattr(rest_client, "_unbounded_request", rest_client.request)
    rest_client._unbounded_request = send

    def request(
        method: str,
        url: str,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> BoundedResponse:
        end = time.monotonic() + deadline_s
        with Deadline(deadline_s) as deadline:
            try:
                answer = send(
                    method,
                    url,
                    headers=headers,
                    body=body,
                    post_params=post_params,
                    _request_timeout=_request_timeout,
                )
            except (urllib3.exceptions.HTTPError, OSError, rest.ApiException) as exc:
                if deadline.expired:
                    raise DeadlinePassed(url, deadline_s) from exc
                raise
            if deadline.expired:  # headers cut short when the deadline shut the socket
                answer.response.close()
                raise DeadlinePassed(url, deadline_s)
        return BoundedResponse(answer.response, url, end, deadline_s, max_bytes)

    rest_client.request = request
    return api_client


__all__ = ["TYPED_DEADLINE_S", "TYPED_MAX_BYTES", "BoundedResponse", "bound_typed_calls"]
