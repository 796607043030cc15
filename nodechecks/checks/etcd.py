"""etcd (local or external) and the opt-in image pull, the last of ``kubeadm init``'s checks."""

from __future__ import annotations

import time

from kubeadm_verify.checks import CONTROL_PLANE, Finding, failed, passed, skipped, unknown
from kubeadm_verify.pins import (
    COREDNS_VERSION,
    ETCD_IMAGE_TAG,
    MIN_EXTERNAL_ETCD_VERSION,
    PAUSE_VERSION,
)
from kubeadm_verify.results import Severity
from nodechecks import facts
from nodechecks.catalog import REGISTRY
from nodechecks.checks.kinds import dir_available, path_id, port_free
from nodechecks.checks.runtime import judge_endpoints
from nodechecks.context import NodeContext
from nodechecks.versions import Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import ssl

ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
ETCD_DATA_DIR = "/var/lib/etcd"
ETCD_TIMEOUT_S = 10.0
ETCD_RETRIES = 3
ETCD_RETRY_INTERVAL_S = 5.0
VERSION_MAX_BYTES = 64 * 1024
"""etcd's ``/version`` is two short fields."""
REGISTRY_PREFIX = "registry.k8s.io"
ETCD_IMAGE_VERSION = ETCD_IMAGE_TAG
PULL_TIMEOUT_S = 300.0


def judge_etcd_version(endpoint: str, server_version: str, minimum: str) -> str:
    """An error message, or ``""`` when the server is recent enough."""
    try:
        version = Version.parse(server_version)
    except ValueError:
        return f'couldn\'t parse external etcd version "{server_version}"'
    if version < Version.parse(minimum):
        return (
            f"this version of kubeadm only supports external etcd version >= {minimum}. "
            f"Current version: {server_version}"
        )
    return ""


class EtcdAnswered(Exception):
    """The endpoint answered an HTTP error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def fetch_etcd_version(url: str, context: ssl.SSLContext | None) -> str:
    """GET ``<endpoint>/version``; retried on 5xx and connection errors, as kubeadm does.

    Through the project's one door for HTTP answers (``access.rawhttp``: one deadline over the
    whole exchange, the answer capped), imported here, lazily: only a node with an external
    etcd pays for it, the node tier's fast path never does.
    """
    import json

    import urllib3

    from kubeadm_verify.access import rawhttp

    pool = urllib3.PoolManager(num_pools=1, ssl_context=context)
    last: Exception | None = None
    try:
        for attempt in range(ETCD_RETRIES + 1):
            if attempt:
                # kubeadm's exact retries (getEtcdVersionResponse): counted, not timed, each
                # attempt with its own deadline; ``access.wait_for`` bounds a wait by time
                time.sleep(ETCD_RETRY_INTERVAL_S)
            try:
                answer = rawhttp.request(
                    pool, "GET", url, deadline_s=ETCD_TIMEOUT_S, max_bytes=VERSION_MAX_BYTES
                )
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                last = exc
                continue
            if answer.status >= 500:
                last = EtcdAnswered(answer.status)
                continue
            if answer.status != 200:
                raise EtcdAnswered(answer.status)
            return str(json.loads(answer.data).get("etcdserver", ""))
    finally:
        pool.clear()
    assert last is not None
    raise last


@REGISTRY.check(
    "ExternalEtcdVersion", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm"
)
def external_etcd_version(ctx: NodeContext) -> Finding:
    """Every external etcd endpoint runs at least kubeadm's minimum version (external etcd only)."""
    if not ctx.external_etcd:
        return skipped("no external etcd is configured")
    if not ctx.host.is_live:
        return skipped("external etcd is asked from the live host only")
    import ssl

    context = None
    if ctx.external_etcd_ca or ctx.external_etcd_cert:
        context = ssl.create_default_context(cafile=ctx.external_etcd_ca or None)
        if ctx.external_etcd_cert and ctx.external_etcd_key:
            context.load_cert_chain(ctx.external_etcd_cert, ctx.external_etcd_key)
    errors, seen = [], {}
    for endpoint in ctx.external_etcd_endpoints:
        url = endpoint.rstrip("/") + "/version"
        try:
            version = fetch_etcd_version(url, context)
        except Exception as exc:  # any failure to ask is kubeadm's error for that endpoint
            errors.append(f"{url}: {exc}")
            continue
        seen[endpoint] = version
        message = judge_etcd_version(endpoint, version, MIN_EXTERNAL_ETCD_VERSION)
        if message:
            errors.append(message)
    if errors:
        return failed(
            "\n".join(errors), f"use etcd {MIN_EXTERNAL_ETCD_VERSION} or newer", versions=seen
        )
    return passed("external etcd is recent enough", versions=seen)


def _local_etcd_only(ctx: NodeContext) -> Finding | None:
    if ctx.external_etcd:
        return skipped("external etcd is configured: no local etcd will run here")
    return None


def etcd_address(ctx: NodeContext) -> str:
    """Where kubeadm binds etcd's ports to test them: the advertise address, else the one it
    would detect (the default route's interface, live host only); ``""`` (any address) when
    neither is known, as under --root."""
    return ctx.advertise_address or facts.default_route_address(ctx.host)


@REGISTRY.check("Port-2379", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def port_etcd_client(ctx: NodeContext) -> Finding:
    """Nothing listens on etcd's client port at the address etcd will use (local etcd only)."""
    return _local_etcd_only(ctx) or port_free(ctx, ETCD_CLIENT_PORT, etcd_address(ctx))


@REGISTRY.check("Port-2380", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def port_etcd_peer(ctx: NodeContext) -> Finding:
    """Nothing listens on etcd's peer port at the address etcd will use (local etcd only)."""
    return _local_etcd_only(ctx) or port_free(ctx, ETCD_PEER_PORT, etcd_address(ctx))


@REGISTRY.check(
    path_id("DirAvailable", ETCD_DATA_DIR),
    severity=Severity.ERROR,
    roles=CONTROL_PLANE,
    origin="kubeadm",
)
def etcd_data_dir(ctx: NodeContext) -> Finding:
    """etcd's data directory is absent or empty (local etcd only)."""
    return _local_etcd_only(ctx) or dir_available(ctx, ETCD_DATA_DIR)


@REGISTRY.check(
    "ExternalEtcdClientCertificates", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm"
)
def external_etcd_certificates(ctx: NodeContext) -> Finding:
    """The external etcd CA, client certificate and key exist (kubeadm's three checks, one id)."""
    if not ctx.external_etcd:
        return skipped("no external etcd is configured")
    paths = [p for p in (ctx.external_etcd_ca, ctx.external_etcd_cert, ctx.external_etcd_key) if p]
    missing = [p for p in paths if not ctx.host.exists(p)]
    if missing:
        return failed(
            "\n".join(f"{path} doesn't exist" for path in missing),
            "copy the etcd client certificates to this node",
            missing=missing,
        )
    return passed("the external etcd client certificates exist", paths=paths)


def control_plane_images(version: str) -> list[str]:
    """``kubeadm config images list`` for the target version (kubeadm v1.37's pins)."""
    tag = "v" + version.removeprefix("v")
    return [
        f"{REGISTRY_PREFIX}/{name}:{tag}"
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
    ] + [
        f"{REGISTRY_PREFIX}/coredns/coredns:{COREDNS_VERSION}",
        f"{REGISTRY_PREFIX}/pause:{PAUSE_VERSION}",
        f"{REGISTRY_PREFIX}/etcd:{ETCD_IMAGE_VERSION}",
    ]


@REGISTRY.check("ImagePull", severity=Severity.ERROR, roles=CONTROL_PLANE, origin="kubeadm")
def image_pull(ctx: NodeContext) -> Finding:
    """Pull the control-plane images through CRI; opt-in (``--pull-images``): it mutates."""
    if not ctx.pull_images:
        return skipped("pulling images mutates the host; pass --pull-images to run it")
    if not ctx.host.is_live:
        return skipped("images are pulled on the live host only")
    endpoints_problem = judge_endpoints(ctx.cri_endpoints, bool(ctx.cri_socket))
    if endpoints_problem is not None:
        return endpoints_problem
    from nodechecks.cri import CriCallError, CriClient, CriUnavailable  # only when pulling

    images = control_plane_images(ctx.kubernetes_version)
    errors, pulled = [], []
    try:
        with CriClient(ctx.cri_endpoints[0]) as client:
            for image in images:
                try:
                    client.pull_image(image, PULL_TIMEOUT_S)
                    pulled.append(image)
                except CriCallError as exc:
                    errors.append(f"failed to pull image {image}: {exc}")
    except CriUnavailable as exc:
        return unknown(f"whether the images can be pulled: {exc}")
    if errors:
        return failed("\n".join(errors), "check the registry access (proxy, mirror)", pulled=pulled)
    return passed(f"pulled {len(pulled)} images", pulled=pulled)
