"""The one door for HTTP answers the project reads itself (``/version``, access reviews, the
Standard Base's raw requests): one overall deadline and a size cap per exchange.

urllib3 bounds each socket read, and ``preload_content=True`` reads a body whole: a server that
answers with a 4 GiB body fills memory, one that trickles a byte at a time is read for as long
as it cares to send. Here the connect, the TLS handshake, the headers and the body share one
``Deadline`` (``kubeadm_verify.deadline``), and the body is read in pieces up to ``max_bytes``.
Both refusals are urllib3 errors, so callers that sort urllib3's failures sort these too.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3

from kubeadm_verify.deadline import Deadline, watch_pools

DEADLINE_S = 20.0
"""A whole exchange with the API server; a healthy one takes milliseconds."""
CONNECT_S = 5.0
READ_S = 15.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Far above any answer read here (an access review is a kilobyte, a discovery document tens)."""
_PIECE = 64 * 1024


class DeadlinePassed(urllib3.exceptions.TimeoutError):
    """The exchange did not complete within its overall deadline."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(f"{url}: no complete answer within {seconds:g}s")
        self.seconds = seconds


class TooLarge(urllib3.exceptions.HTTPError):
    """The answer is larger than the cap; it was not read past it."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"{url}: the answer is larger than {limit // (1024 * 1024)} MiB")
        self.limit = limit


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    data: bytes


def request(
    pool_manager: Any,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | urllib3.HTTPHeaderDict | None = None,
    deadline_s: float = DEADLINE_S,
    connect_s: float = CONNECT_S,
    read_s: float = READ_S,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Answer:
    """``method url`` through ``pool_manager`` (its TLS settings and credentials), whole within
    ``deadline_s`` and at most ``max_bytes``; never retried, never redirected."""
    watch_pools(pool_manager)
    with Deadline(deadline_s) as deadline:
        left = max(deadline.remaining(), 0.001)
        try:
            response = pool_manager.request(
                method,
                url,
                body=body,
                headers=headers,
                preload_content=False,
                retries=False,
                redirect=False,
                timeout=urllib3.Timeout(connect=min(connect_s, left), read=min(read_s, left)),
            )
        except urllib3.exceptions.HTTPError as exc:
            if deadline.expired:
                raise DeadlinePassed(url, deadline_s) from exc
            raise
        deadline.watch(getattr(getattr(response, "connection", None), "sock", None))
        complete = False
        try:
            data = read_capped(response, url, max_bytes)
            complete = True
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.expired:
                raise DeadlinePassed(url, deadline_s) from exc
            raise
        finally:
            if not complete:
                response.close()  # never hand a half-read connection back to the pool
            response.release_conn()
        if deadline.expired:
            raise DeadlinePassed(url, deadline_s)
    return Answer(int(response.status), dict(response.headers), data)


def read_capped(response: Any, url: str, max_bytes: int) -> bytes:
    """The body of ``response``, read in pieces and refused past ``max_bytes`` (the length a
    server announces is believed only when it is already too large)."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge(url, max_bytes)
    data = bytearray()
    while True:
        piece = response.read(_PIECE)
        if not piece:
            return bytes(data)
        data += piece
        if len(data) > max_bytes:
            raise TooLarge(url, max_bytes)


PROBE_MAX_BYTES = 64 * 1024
"""A health answer is ``ok`` or a short list of checks."""


def probe_status(url: str, context: ssl.SSLContext | None = None, deadline_s: float = 2.0) -> int:
    """The status of ``GET url``, 0 when nothing answers within ``deadline_s`` (or answers more
    than a health answer): for components that are not API servers (etcd's ``/health``, a
    kubelet's or the scheduler's ``/healthz``), and the API server's ``/livez`` as a health
    probe. ``context`` verifies TLS as it says; without one, TLS is not verified, as kubeadm
    asks the controller-manager and the scheduler."""
    return probe(url, context, deadline_s)[0]


def probe(
    url: str, context: ssl.SSLContext | None = None, deadline_s: float = 2.0
) -> tuple[int, str]:
    """``probe_status``'s status, and when it is 0, why: no answer within the deadline, or the
    error that ended the exchange (a refused or reset connection)."""
    extra: dict[str, Any] = {"ssl_context": context} if context is not None else {}
    if context is None or context.verify_mode == ssl.CERT_NONE:
        extra.update(cert_reqs=ssl.CERT_NONE, assert_hostname=False)
    pool = urllib3.PoolManager(num_pools=1, maxsize=1, **extra)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            answer = request(pool, "GET", url, deadline_s=deadline_s, max_bytes=PROBE_MAX_BYTES)
            return answer.status, ""
    except DeadlinePassed:
        return 0, f"no answer within {deadline_s:g}s"
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return 0, _cause(error)
    finally:
        pool.clear()


def _cause(error: BaseException) -> str:
    """The innermost reason urllib3 wraps (``ConnectionRefusedError``), by its type's name."""
    while True:
        inner = getattr(error, "reason", None) or error.__cause__ or error.__context__
        if not isinstance(inner, BaseException) or inner is error:
            return type(error).__name__
        error = inner
