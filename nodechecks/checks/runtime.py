"""The container runtime over CRI: ``CRI`` (Status → RuntimeReady) and ``ContainerRuntimeVersion``
(the ``RuntimeConfig`` method the kubelet uses to learn the cgroup driver)."""

from __future__ import annotations

from kubeadm_verify.checks import Finding, failed, passed, problem, skipped, unknown
from kubeadm_verify.results import Severity
from nodechecks.catalog import REGISTRY
from nodechecks.context import NodeContext
from nodechecks.cri import KNOWN_ENDPOINTS, CriProbe
from nodechecks.versions import Version

RUNTIME_CONFIG_ERROR_FROM = "1.38.0-0"
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
            NO_RUNTIME_REMEDIATION, searched=list(KNOWN_ENDPOINTS))
    if len(endpoints) > 1:
        return failed(
            "found multiple CRI endpoints on the host. Please define which one do you wish to use "
            "by setting the 'criSocket' field in the kubeadm configuration file: "
            + ", ".join(endpoints),
            "set nodeRegistration.criSocket", endpoints=endpoints)
    return None


def judge_cri(probe: CriProbe) -> Finding:
    """kubeadm's ``IsRunning``: ``Status`` answers and the ``RuntimeReady`` condition is true
    (``NetworkReady`` is deliberately not tested: the CNI comes after kubeadm init)."""
    evidence = {"endpoint": probe.endpoint}
    if probe.version is not None:
        evidence.update(runtime=probe.version.runtime_name, version=probe.version.runtime_version)
    if probe.unavailable:
        return unknown(f"whether the container runtime is running: {probe.unavailable}",
                       "install grpcio so the runtime can be asked over CRI", **evidence)
    if probe.status_error:
        return failed(f"container runtime is not running: {probe.status_error}",
                      f"start the runtime behind {probe.endpoint}", **evidence)
    for condition in probe.conditions:
        if condition.type == "RuntimeReady":
            if condition.status:
                return passed(f"{probe.endpoint} is ready", **evidence)
            return failed(
                f'container runtime condition "RuntimeReady" is not true. reason: '
                f"{condition.reason}, message: {condition.message}",
                "see the runtime's logs (journalctl -u containerd)", **evidence)
    return failed('container runtime condition "RuntimeReady" is not true. reason: , message: '
                  "the runtime reported no RuntimeReady condition",
                  "see the runtime's logs", **evidence)


@REGISTRY.check("CRI", severity=Severity.ERROR)
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


def judge_runtime_config(probe: CriProbe, kubelet: Version | None) -> Finding:
    """``RuntimeConfig`` implemented → pass; ``Unimplemented`` → a warning for kubelets < 1.38,
    an error from 1.38 (kubernetes/kubernetes#135923, planned upstream)."""
    evidence: dict[str, object] = {"endpoint": probe.endpoint}
    if probe.version is not None:
        evidence.update(runtime=probe.version.runtime_name, version=probe.version.runtime_version)
    if probe.unavailable or probe.status_error:
        return unknown("whether the runtime implements RuntimeConfig: "
                       f"{probe.unavailable or probe.status_error}", "", **evidence)
    error = probe.config_error
    if error is None:
        return passed(f"the runtime implements RuntimeConfig (cgroup driver {probe.cgroup_driver})",
                      cgroup_driver=probe.cgroup_driver, **evidence)
    if error.code != "Unimplemented":
        return unknown(f"whether the runtime implements RuntimeConfig: {error}", "", **evidence)
    severity = Severity.WARNING
    if kubelet is not None and kubelet.at_least(RUNTIME_CONFIG_ERROR_FROM):
        severity = Severity.ERROR
    return problem(
        severity,
        "the container runtime does not implement the CRI RuntimeConfig method, which the kubelet "
        "uses to detect the cgroup driver; kubelet v1.38 and newer may refuse to start without it",
        "upgrade the runtime (containerd v2.0+, CRI-O v1.28+)", **evidence)


@REGISTRY.check("ContainerRuntimeVersion", severity=Severity.WARNING)
def container_runtime_version(ctx: NodeContext) -> Finding:
    """The runtime implements CRI ``RuntimeConfig`` (KEP-4033; containerd 1.7 does not).

    kubeadm v1.37 only warns; the error for kubelet ≥ 1.38 follows the open upstream PR #135923.
    """
    if not ctx.host.is_live:
        return skipped("the container runtime is asked on the live host only")
    if ctx.cri is None:
        count = len(ctx.cri_endpoints)
        why = "no CRI socket was found" if count == 0 else f"{count} CRI sockets were found"
        return unknown(f"whether the runtime implements RuntimeConfig: {why}",
                       NO_RUNTIME_REMEDIATION)
    return judge_runtime_config(ctx.cri, ctx.effective_kubelet_version)
