"""The container runtime over CRI (``runtime.v1``), on the live host only.

kubeadm talks to the runtime through ``k8s.io/cri-client`` (gRPC over a unix socket). We do the
same with grpcio, imported only when a runtime socket exists: a node without a runtime never pays
for it, and a node without grpcio gets "cannot determine", never a pass. This module itself is
imported only when there is a runtime to ask (``nodechecks.crisocket`` finds the sockets).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

from nodechecks import protowire as pw

TIMEOUT_S = 2.0
CGROUP_DRIVERS = {0: "systemd", 1: "cgroupfs"}


class CriUnavailable(Exception):
    """The runtime could not be asked: no socket, no grpcio, or the call failed before an answer."""


class CriCallError(Exception):
    """The runtime answered a call with a gRPC error status."""

    def __init__(self, method: str, code: str, details: str) -> None:
        super().__init__(f"rpc error: code = {code} desc = {details}")
        self.method, self.code, self.details = method, code, details


class RuntimeCondition(NamedTuple):
    type: str
    status: bool
    reason: str
    message: str


class RuntimeVersion(NamedTuple):
    runtime_name: str
    runtime_version: str
    runtime_api_version: str


def decode_version(data: bytes) -> RuntimeVersion:
    fields = pw.decode(data)
    return RuntimeVersion(pw.first_str(fields, 2), pw.first_str(fields, 3), pw.first_str(fields, 4))


def decode_status(data: bytes) -> list[RuntimeCondition]:
    """``StatusResponse.status.conditions``."""
    status = pw.decode(pw.first_bytes(pw.decode(data), 1))
    conditions = []
    for raw in pw.all_bytes(status, 1):
        fields = pw.decode(raw)
        conditions.append(
            RuntimeCondition(
                pw.first_str(fields, 1),
                bool(pw.first_int(fields, 2)),
                pw.first_str(fields, 3),
                pw.first_str(fields, 4),
            )
        )
    return conditions


def decode_runtime_config(data: bytes) -> str:
    """``RuntimeConfigResponse.linux.cgroup_driver`` as ``systemd`` or ``cgroupfs``."""
    linux = pw.decode(pw.first_bytes(pw.decode(data), 1))
    code = pw.first_int(linux, 1)
    return CGROUP_DRIVERS.get(code, f"unknown ({code})")


class CriClient:
    """A gRPC channel to one runtime endpoint; calls carry raw protobuf bytes."""

    def __init__(self, endpoint: str, timeout: float = TIMEOUT_S) -> None:
        try:
            grpc: Any = importlib.import_module("grpc")  # lazily: ~60 ms, and only with a socket
        except ImportError as exc:
            raise CriUnavailable("grpcio is not installed (pip install grpcio)") from exc
        self._grpc = grpc
        self.endpoint = endpoint
        self.timeout = timeout
        target = endpoint if "://" in endpoint else "unix://" + endpoint
        self._channel = grpc.insecure_channel(target)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> CriClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, request: bytes = b"", timeout: float | None = None) -> bytes:
        stub: Callable[..., bytes] = self._channel.unary_unary(method)
        try:
            return stub(request, timeout=timeout or self.timeout)
        except self._grpc.RpcError as exc:
            code = exc.code().name.title().replace("_", "") if exc.code() else "Unknown"
            raise CriCallError(method, code, exc.details() or "") from exc

    def version(self) -> RuntimeVersion:
        return decode_version(
            self.call("/runtime.v1.RuntimeService/Version", pw.encode_string(1, "v1"))
        )

    def status(self) -> list[RuntimeCondition]:
        return decode_status(self.call("/runtime.v1.RuntimeService/Status"))

    def runtime_config(self) -> str:
        return decode_runtime_config(self.call("/runtime.v1.RuntimeService/RuntimeConfig"))

    def pull_image(self, image: str, timeout: float) -> str:
        request = pw.encode_string(1, pw.encode_string(1, image))
        reply = self.call("/runtime.v1.ImageService/PullImage", request, timeout=timeout)
        return pw.first_str(pw.decode(reply), 1)


class CriProbe(NamedTuple):
    """What one look at the runtime found; shared by CRI, ContainerRuntimeVersion, CgroupDriver."""

    endpoint: str
    unavailable: str = ""
    """Why the runtime could not be asked at all (empty when it could)."""
    status_error: str = ""
    conditions: tuple[RuntimeCondition, ...] = ()
    version: RuntimeVersion | None = None
    config_error: CriCallError | None = None
    cgroup_driver: str = ""


def probe(endpoint: str) -> CriProbe:
    """Ask the runtime for its version, status and runtime config; never raises for the runtime."""
    try:
        client = CriClient(endpoint)
    except CriUnavailable as exc:
        return CriProbe(endpoint, unavailable=str(exc))
    with client:
        try:
            conditions = tuple(client.status())
        except CriCallError as exc:
            return CriProbe(endpoint, status_error=str(exc))
        version: RuntimeVersion | None
        try:
            version = client.version()
        except CriCallError:
            version = None
        try:
            driver, config_error = client.runtime_config(), None
        except CriCallError as exc:
            driver, config_error = "", exc
    return CriProbe(
        endpoint,
        conditions=conditions,
        version=version,
        config_error=config_error,
        cgroup_driver=driver,
    )
