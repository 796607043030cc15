"""What a control-plane port answers: to nobody, to the cluster's admin, to TLS without a client
certificate.

The controller-manager and the scheduler serve self-signed certificates (kubeadm gives them no
serving certificate), and etcd's CA is not published in the API: the server is therefore not
verified here. These probes only ask whether a port lets someone in; the one that presents the
admin's credentials is sent only to a process :mod:`conformance.standard_base.localplane` found
to belong to this cluster.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from typing import Any

import urllib3

from conformance.standard_base.localplane import Listener

TIMEOUT_S = 5.0
PLAIN = "plain HTTP"
REFUSED = "refused"
ANSWERED = "answered"


def reachable(listener: Listener) -> tuple[str, int]:
    """Where to connect to reach ``listener`` from this host (a wildcard via the loopback)."""
    if listener.address in ("0.0.0.0", ""):  # noqa: S104 (reading a socket table)
        return "127.0.0.1", listener.port
    if listener.address == "::":
        return "::1", listener.port
    return listener.address, listener.port


def credentials(configuration: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The kubeconfig's client certificate (pool options) and bearer token (headers)."""
    pool: dict[str, str] = {}
    if configuration.cert_file and configuration.key_file:
        pool = {"cert_file": str(configuration.cert_file), "key_file": str(configuration.key_file)}
    headers: dict[str, str] = {}
    bearer = (configuration.auth_settings().get("BearerToken") or {}).get("value")
    if bearer:
        headers["Authorization"] = str(bearer)
    return pool, headers


def https_status(listener: Listener, path: str, configuration: Any | None = None) -> int | str:
    """The HTTP status of ``GET path`` (anonymous unless ``configuration`` gives credentials), or
    why there is none."""
    host, port = reachable(listener)
    pool_options, headers = credentials(configuration) if configuration is not None else ({}, {})
    pool = urllib3.PoolManager(cert_reqs="CERT_NONE", **pool_options)  # type: ignore[arg-type]
    url_host = f"[{host}]" if ":" in host else host
    try:
        with warnings.catch_warnings():  # unverified on purpose: see the module's docstring
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            response = pool.request(
                "GET",
                f"https://{url_host}:{port}{path}",
                headers=headers,
                timeout=TIMEOUT_S,
                retries=False,
                redirect=False,
                preload_content=False,
            )
        status = int(response.status)  # the body (a metrics page) is never read
        response.close()
    except urllib3.exceptions.HTTPError as exc:
        return f"no answer ({type(exc).__name__})"
    finally:
        pool.clear()
    return status


def without_client_certificate(listener: Listener) -> str:
    """:data:`PLAIN`, :data:`REFUSED` or :data:`ANSWERED`: what a TLS client without a
    certificate gets from ``listener`` when it asks ``GET /version``."""
    host, port = reachable(listener)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as raw:
            try:
                tls = context.wrap_socket(raw, server_hostname=host)
            except ssl.SSLError as exc:
                return PLAIN if "WRONG_VERSION_NUMBER" in str(exc) else REFUSED
            with tls:
                tls.sendall(
                    f"GET /version HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
                )
                try:
                    answer = tls.recv(64)
                except OSError:  # an alert (certificate required), a reset, a timeout
                    return REFUSED
    except OSError:  # nothing accepts the connection: nobody gets in
        return REFUSED
    return ANSWERED if answer.startswith(b"HTTP/") else REFUSED
