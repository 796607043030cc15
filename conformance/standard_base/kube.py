"""The Standard Base's view of a cluster: the official client's typed APIs, raw requests, waits.

Every wait here is bounded: :func:`wait_for` polls with a deadline, :class:`EventStream` reads a
watch opened with ``timeoutSeconds`` and a socket read timeout, and every request carries a
connect and read timeout so a cluster that stops answering fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import urllib3
from kubernetes import client
from kubernetes.watch.watch import iter_resp_lines

from kubeadm_verify import access
from kubeadm_verify.access import rawhttp

T = TypeVar("T")

REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read: no request may hang a test
POLL_INTERVAL_S = 0.2
TOO_MANY_REQUESTS = 429
WATCH_RETRY_S = 0.5
"""The API server's Retry-After for a watch cache that has just begun initialising is 1 s (it
grows with the time the cache has been down); half that sees it ready soon enough."""


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout: float,
    interval: float = POLL_INTERVAL_S,
) -> T:
    """Poll ``probe`` (through the one ``access.wait_for``) until it returns something truthy;
    fail with ``what`` at the deadline.

    ``probe`` may raise ``AssertionError`` to explain why it is not there yet; the last
    explanation ends up in the failure message, which is what the report shows.
    """
    last = ""

    def answer() -> T | None:
        nonlocal last
        try:
            value = probe()
        except AssertionError as exc:
            value, last = None, str(exc)
        return value if value else None

    try:
        return access.wait_for(answer, timeout, interval=interval, what=what)
    except access.WaitTimedOut:
        detail = f": {last}" if last else ""
        # A plain AssertionError: the report shows its message alone, as a test failure.
        raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{detail}") from None


STATUS_MESSAGE_CHARS = 200


def server_said(body: bytes | str | None) -> str:
    """The ``message`` of a ``kind: Status`` answer, bounded, for a failure message.

    A failure message never carries a response body as such: a body may be an API object, a
    Secret's data included. Only the API server's own explanation of an error is repeated.
    """
    try:
        status = json.loads(body or b"")
    except (ValueError, TypeError):
        return "(no Status message)"
    if not isinstance(status, dict) or status.get("kind") != "Status":
        return "(no Status message)"
    message = " ".join(str(status.get("message", "")).split())
    if len(message) > STATUS_MESSAGE_CHARS:
        message = message[: STATUS_MESSAGE_CHARS - 3] + "..."
    return message or "(an empty Status message)"


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an ``ApiException`` (None for anything else)."""
    return getattr(exc, "status", None) if isinstance(exc, client.ApiException) else None


def refused(what: str, call: Callable[[], object]) -> client.ApiException:
    """The API error ``call`` must end in; fail when the server accepts ``what``."""
    try:
        call()
    except client.ApiException as exc:
        return exc
    raise AssertionError(f"the server accepted {what}")


def gone(call: Callable[[], object]) -> bool:
    """True when ``call`` (a read of one object) answers 404."""
    try:
        call()
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


@dataclass(frozen=True)
class Impersonation:
    """Who a request acts as (the ``Impersonate-*`` headers); needs the impersonate verb."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""

    def add_to(self, lines: urllib3.HTTPHeaderDict) -> None:
        lines.add("Impersonate-User", self.user)
        for group in self.groups:
            lines.add("Impersonate-Group", group)
        if self.uid:
            lines.add("Impersonate-Uid", self.uid)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Kube:
    """One cluster, one ``ApiClient``; the typed APIs are made on first use."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client

    @cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api_client)

    @cached_property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api_client)

    @cached_property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api_client)

    @cached_property
    def rbac(self) -> client.RbacAuthorizationV1Api:
        return client.RbacAuthorizationV1Api(self.api_client)

    @cached_property
    def authn(self) -> client.AuthenticationV1Api:
        return client.AuthenticationV1Api(self.api_client)

    @cached_property
    def authz(self) -> client.AuthorizationV1Api:
        return client.AuthorizationV1Api(self.api_client)

    @cached_property
    def certificates(self) -> client.CertificatesV1Api:
        return client.CertificatesV1Api(self.api_client)

    @cached_property
    def extensions(self) -> client.ApiextensionsV1Api:
        return client.ApiextensionsV1Api(self.api_client)

    @cached_property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api_client)

    @cached_property
    def flowcontrol(self) -> client.FlowcontrolApiserverV1Api:
        return client.FlowcontrolApiserverV1Api(self.api_client)

    @cached_property
    def discovery(self) -> client.DiscoveryV1Api:
        return client.DiscoveryV1Api(self.api_client)

    @cached_property
    def networking(self) -> client.NetworkingV1Api:
        return client.NetworkingV1Api(self.api_client)

    @cached_property
    def version(self) -> client.VersionApi:
        return client.VersionApi(self.api_client)

    @property
    def host(self) -> str:
        return str(self.api_client.configuration.host)

    def raw(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: list[tuple[str, str]] | None = None,
        authenticate: bool = True,
        impersonate: Impersonation | None = None,
        bearer: str | None = None,
    ) -> RawResponse:
        """One request as bytes in, bytes out, with this client's TLS settings and credentials.

        For what the typed client cannot say: duplicate JSON keys, discovery ``Accept`` headers,
        impersonation with several groups (one header line each), or an anonymous request
        (``authenticate=False``: no credentials, but the server is still verified against the
        kubeconfig's CA), or one that presents another ``bearer`` token instead of ours.
        """
        authenticate = authenticate and bearer is None
        _, url, sent, _, _ = self.api_client.param_serialize(
            method,
            path,
            query_params=query or [],
            header_params=dict(headers or {}),
            auth_settings=["BearerToken"] if authenticate else [],
        )
        lines = urllib3.HTTPHeaderDict()
        for key, value in sent.items():
            if authenticate or key.lower() != "authorization":
                lines.add(key, value)
        if impersonate is not None:
            impersonate.add_to(lines)
        if bearer is not None:
            lines.add("Authorization", f"Bearer {bearer}")
        pool = self.api_client.rest_client.pool_manager
        if not authenticate:
            pool = access.anonymous_pool(self.api_client.configuration)
        answer = rawhttp.request(
            pool,
            method,
            url,
            body=body,
            headers=lines,
            connect_s=REQUEST_TIMEOUT[0],
            read_s=REQUEST_TIMEOUT[1],
            deadline_s=sum(REQUEST_TIMEOUT),
        )
        return RawResponse(answer.status, answer.headers, answer.data)

    def raw_json(self, path: str, accept: str = "application/json") -> Any:
        response = self.raw("GET", path, headers={"Accept": accept})
        assert response.status == 200, (
            f"GET {path}: HTTP {response.status}: {server_said(response.body)}"
        )
        return response.json()

    def events(
        self,
        list_call: Callable[..., Any],
        *args: Any,
        timeout: int = 30,
        **kwargs: Any,
    ) -> EventStream:
        """Open a watch (``list_call(..., watch=True)``) that ends by itself after ``timeout``.

        A 429 is asked again within ``timeout``, as client-go's reflector does: with several
        API servers, the one a watch reaches may still be initialising the resource's watch
        cache (``storage is (re)initializing``) when another already serves it."""
        refused: list[client.ApiException] = []

        def opened() -> Any:
            try:
                return list_call(
                    *args,
                    watch=True,
                    timeout_seconds=timeout,
                    _preload_content=False,
                    _request_timeout=(REQUEST_TIMEOUT[0], float(timeout + 5)),
                    **kwargs,
                )
            except client.ApiException as exc:
                if exc.status != TOO_MANY_REQUESTS:
                    raise
                refused[:] = [exc]
                return None

        try:
            response = access.wait_for(opened, timeout, interval=WATCH_RETRY_S, what="a watch")
        except access.WaitTimedOut:
            raise refused[-1] from None
        return EventStream(response, deadline=time.monotonic() + timeout + 5)


class EventStream:
    """The events of one watch, read in order, each read bounded by the watch's own deadline."""

    def __init__(self, response: Any, deadline: float) -> None:
        self._response = response
        self._lines: Iterator[str] = iter_resp_lines(response)
        self.deadline = deadline

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()

    def next(self) -> dict[str, Any] | None:
        """The next event (``{"type", "object"}`` with the object as a dict), None at the end."""
        if time.monotonic() > self.deadline:
            return None
        for line in self._lines:
            if line.strip():
                event: dict[str, Any] = json.loads(line)
                if event.get("type") == "ERROR":
                    failed = json.dumps(event.get("object"))
                    raise AssertionError(f"the watch failed: {server_said(failed)}")
                return event
        return None

    def assert_quiet(self, seconds: float) -> None:
        """No further event arrives within ``seconds`` (the stream is spent afterwards)."""
        sock = getattr(getattr(self._response, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(seconds)
        try:
            event = self.next()
        except (urllib3.exceptions.HTTPError, TimeoutError, OSError):
            return
        assert event is None, (
            f"expected no further event, the watch gave {event['type']} "
            f"{event['object'].get('metadata', {}).get('name')}"
        )

    def expect(self, kind: str, name: str | None = None) -> dict[str, Any]:
        """The next event, which must be ``kind`` on the object named ``name``."""
        event = self.next()
        assert event is not None, f"the watch ended before a {kind} event for {name}"
        got_name = event["object"].get("metadata", {}).get("name")
        assert event["type"] == kind and (name is None or got_name == name), (
            f"expected {kind} {name}, the watch gave {event['type']} {got_name}"
        )
        return event
