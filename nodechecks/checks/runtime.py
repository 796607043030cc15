"""The container runtime over CRI: ``CRI`` (Status → RuntimeReady) and ``ContainerRuntimeVersion``
(the ``RuntimeConfig`` method the kubelet uses to learn the cgroup driver)."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, failed, passed, skipped, unknown, warned
from kubeadm_verify.results import Severity
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.crisocket import KNOWN_ENDPOINTS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from nodechecks.cri import CriProbe

NO_RUNTIME_REMEDIATION = (
    "install and start a CRI runtime (containerd ≥ 2.0 or CRI-O), or name its socket with "
    "nodeRegistration.criSocket"
)


def judge_endpoints(endpoints: list[str], configured: bool) -> Finding | None:
    """No socket, or several, is a failure before any call; ``None`` when exactly one is found."""
    if not endpoints:
        where = "the configured endpoint" if configured else ", ".join(KNOWN_ENDPOINTS)
        return failed(
            f"container runtime is not running: no CRI socket found at {where}",
            NO_RUNTIME_REMEDIATION,
            searched=list(KNOWN_ENDPOINTS),
        )
    if len(endpoints) > 1:
        return failed(
            "found multiple CRI endpoints on the host. Please define which one do you wish to use "
            "by setting the 'criSocket' field in the kubeadm configuration file: "
            + ", ".join(endpoints),
            "set nodeRegistration.criSocket",
            endpoints=endpoints,
        )
    return None


def judge_cri(probe: CriProbe) -> Finding:
    """kubeadm's ``IsRunning``: ``Status`` answers and the ``RuntimeReady`` condition is true
    (``NetworkReady`` is deliberately not tested: the CNI comes after kubeadm init)."""
    evidence = {"endpoint": probe.endpoint}
    if probe.version is not None:
        evidence.update(runtime=probe.version.runtime_name, version=probe.version.runtime_version)
    if probe.unavailable:
        return unknown(
            f"whether the container runtime is running: {probe.unavailable}",
            "install grpcio so the runtime can be asked over CRI",
            **evidence,
        )
    if probe.status_error:
        return failed(
            f"container runtime is not running: {probe.status_error}",
            f"start the runtime behind {probe.endpoint}",
            **evidence,
        )
    for condition in probe.conditions:
        if condition.type == "RuntimeReady":
            if condition.status:
                return passed(f"{probe.endpoint} is ready", **evidence)
            return failed(
                f'container runtime condition "RuntimeReady" is not true. reason: '
                f"{condition.reason}, message: {condition.message}",
                "see the runtime's logs (journalctl -u containerd)",
                **evidence,
            )
    return failed(
        'container runtime condition "RuntimeReady" is not true. reason: , message: '
        "the runtime reported no RuntimeReady condition",
        "see the runtime's logs",
        **evidence,
    )


@REGISTRY.check("CRI", severity=Severity.ERROR, origin="kubeadm")
def container_runtime(ctx: NodeContext) -> Finding:
    """The runtime answers CRI ``Status`` with ``RuntimeReady``.

    kubeadm does not even add this check when it cannot create a CRI client (a klog warning
    only), and ``kubeadm init`` then fails later. We report that case: no socket is a failure,
    a socket we could not ask (grpcio missing) is "cannot determine". Live host only.
    """
    if not ctx.host.is_live:
        return skipped("the container runtime is asked on the live host only")
    endpoints_problem = judge_endpoints(ctx.cri_endpoints, bool(ctx.cri_socket))
    if endpoints_problem is not None:
        return endpoints_problem
    assert ctx.cri is not None
    return judge_cri(ctx.cri)


def judge_runtime_config(probe: CriProbe) -> Finding:
    """kubeadm v1.37.2: ``RuntimeConfig`` implemented → pass; ``Unimplemented`` → a warning
    (its error for kubelet ≥ 1.38 is still a TODO upstream); a runtime that cannot be asked, or
    any other failure of the call → an error."""
    evidence: dict[str, object] = {"endpoint": probe.endpoint}
    if probe.version is not None:
        evidence.update(runtime=probe.version.runtime_name, version=probe.version.runtime_version)
    if probe.unavailable:
        return unknown(
            f"whether the runtime implements RuntimeConfig: {probe.unavailable}",
            "install grpcio so the runtime can be asked over CRI",
            **evidence,
        )
    if probe.status_error:
        return failed(
            "could not check if the runtime config is available: failed to call "
            f"RuntimeConfig gRPC method: {probe.status_error}",
            f"start the runtime behind {probe.endpoint}",
            **evidence,
        )
    error = probe.config_error
    if error is None:
        return passed(
            f"the runtime implements RuntimeConfig (cgroup driver {probe.cgroup_driver})",
            cgroup_driver=probe.cgroup_driver,
            **evidence,
        )
    if error.code != "Unimplemented":
        return failed(
            "could not check if the runtime config is available: failed to call "
            f"RuntimeConfig gRPC method: {error}",
            "see the runtime's logs",
            **evidence,
        )
    return warned(
        "You must update your container runtime to a version that supports the CRI method "
        "RuntimeConfig. Falling back to using cgroupDriver from kubelet config will be removed in "
        "1.38. For more information, see "
        "https://git.k8s.io/enhancements/keps/sig-node/4033-group-driver-detection-over-cri",
        "upgrade the runtime (containerd v2.0+, CRI-O v1.28+)",
        **evidence,
    )


@REGISTRY.check("ContainerRuntimeVersion", severity=Severity.ERROR, origin="kubeadm")
def container_runtime_version(ctx: NodeContext) -> Finding:
    """The runtime implements CRI ``RuntimeConfig`` (KEP-4033; containerd 1.7 does not).

    As kubeadm v1.37.2: a missing method is a warning, a runtime that does not answer an error
    (the spec's table says "warning"; kubeadm's source returns an error when it cannot connect or
    the call fails otherwise, and kubeadm's source wins).
    """
    if not ctx.host.is_live:
        return skipped("the container runtime is asked on the live host only")
    endpoints_problem = judge_endpoints(ctx.cri_endpoints, bool(ctx.cri_socket))
    if endpoints_problem is not None:
        return endpoints_problem
    assert ctx.cri is not None
    return judge_runtime_config(ctx.cri)
