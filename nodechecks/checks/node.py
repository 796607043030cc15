"""The rest of kubeadm's common checks: ``Hostname``, ``KubeletVersion``, ``Service-kubelet``,
``Port-10250``; then a worker's CA file and the IP forwarding sysctls."""

from __future__ import annotations

import _socket  # not socket.py, which makes enums of every constant as it is imported
import _thread  # not threading: one lookup needs a thread and a lock, not the module
import re

from kubeadm_verify.checks import WORKER, Finding, failed, passed, skipped, unknown, warned
from kubeadm_verify.results import Severity
from nodechecks import services
from nodechecks.catalog import REGISTRY
from nodechecks.checks.controlplane import KUBELET_PORT
from nodechecks.checks.kinds import file_available, file_content, path_id, port_free
from nodechecks.context import NodeContext
from nodechecks.parsers.etc import hosts_names
from nodechecks.versions import Version, minimum_kubelet_version

IPV4_FORWARD = "/proc/sys/net/ipv4/ip_forward"
IPV6_FORWARD = "/proc/sys/net/ipv6/conf/default/forwarding"
CA_CERT = "/etc/kubernetes/pki/ca.crt"
LOOKUP_TIMEOUT_S = 3.0
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def qualified_name_errors(value: str) -> list[str]:
    """apimachinery's ``IsQualifiedName``, which kubeadm (not a DNS-1123 check) applies."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name " + _QUALIFIED_MSG + " with an optional DNS subdomain prefix "
            "and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    errors = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253 or not _SUBDOMAIN.match(prefix):
            errors.append("prefix part must be a lowercase RFC 1123 subdomain")
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED.match(name):
        errors.append("name part " + _QUALIFIED_MSG)
    return errors


def judge_hostname(name: str, addresses: list[str] | None, lookup_error: str) -> Finding:
    """kubeadm's warnings, and only those (its verdict is ours); a name the kubelet could not
    register as a Node (not a lowercase RFC 1123 subdomain) is noted in the details."""
    problems = [f'invalid node name format "{name}": {msg}' for msg in qualified_name_errors(name)]
    notes = []
    if not problems and (len(name) > 253 or not _SUBDOMAIN.match(name)):
        notes.append(
            f'node name "{name}" is not a lowercase RFC 1123 subdomain, so the '
            "kubelet cannot register a Node by that name"
        )
    if addresses is None:
        return unknown(
            f'whether hostname "{name}" resolves: {lookup_error}',
            f"add {name} to /etc/hosts or DNS",
            name=name,
            problems=problems,
            notes=notes,
        )
    if not addresses:
        problems.append(f'hostname "{name}" could not be reached')
        if lookup_error:
            problems.append(f'hostname "{name}": {lookup_error}')
    if problems:
        return warned(
            "\n".join(problems),
            f"make {name} a valid name that resolves (/etc/hosts)",
            name=name,
            addresses=addresses,
            notes=notes,
        )
    return passed(
        f"{name} resolves to {', '.join(addresses)}", name=name, addresses=addresses, notes=notes
    )


def _lookup_live(name: str) -> tuple[list[str] | None, str]:
    """``getaddrinfo`` in a thread, so a dead resolver costs at most ``LOOKUP_TIMEOUT_S``."""
    found: dict[str, object] = {}

    # A str host goes through Python's IDNA codec: its import costs a few milliseconds, and it
    # raises UnicodeError (not OSError) on an empty or over-long label. An ASCII name goes to the
    # resolver as the same bytes, as kubeadm's Go hands it over, and a bad one is a lookup error.
    host: str | bytes = name.encode("ascii") if name.isascii() else name

    finished = _thread.allocate_lock()
    finished.acquire()

    def resolve() -> None:
        try:
            infos = _socket.getaddrinfo(host, None)
            found["addresses"] = sorted({str(info[4][0]) for info in infos})
        except OSError as exc:
            found["error"] = f"lookup {name}: {exc.strerror or exc}"
        finally:
            finished.release()

    # A bare thread holds no exit back, as a daemon thread does not: a hung lookup is left to die
    # with the process.
    _thread.start_new_thread(resolve, ())
    if not finished.acquire(timeout=LOOKUP_TIMEOUT_S):
        return None, f"the lookup did not finish within {LOOKUP_TIMEOUT_S:.0f}s"
    addresses = found.get("addresses")
    if isinstance(addresses, list):
        return addresses, ""
    return [], str(found.get("error", ""))


def node_name(ctx: NodeContext) -> str:
    """The configured node name, else the host name lower-cased (kubeadm's default)."""
    if ctx.node_name:
        return ctx.node_name
    return ctx.host.read_text("/proc/sys/kernel/hostname").strip().lower()


@REGISTRY.check("Hostname", severity=Severity.WARNING, origin="kubeadm")
def hostname(ctx: NodeContext) -> Finding:
    """The node name is a valid name and resolves (the root's /etc/hosts under --root: no DNS).

    The spec says "a valid DNS-1123 subdomain"; kubeadm v1.37.2 applies ``IsQualifiedName`` and
    warns only on that and on the lookup, so those decide the verdict (kubeadm's source wins);
    a name that is not a DNS-1123 subdomain is noted in the details.
    """
    name = node_name(ctx)
    if ctx.host.is_live:
        addresses, error = _lookup_live(name)
    elif ctx.host.exists("/etc/hosts"):
        known = hosts_names(ctx.host.read_text("/etc/hosts")).get(name.lower())
        addresses, error = (
            (known, "")
            if known
            else (None, "not in the root's /etc/hosts, and DNS is not asked under --root")
        )
    else:
        addresses, error = None, "the root has no /etc/hosts, and DNS is not asked under --root"
    return judge_hostname(name, addresses, error)


def judge_kubelet_version(
    kubelet: Version | None, error: str, target: Version | None, minimum: Version
) -> Finding:
    """At least kubeadm's minimum (its minor − 3) and, on init, not newer than the control plane."""
    if kubelet is None:
        return failed(
            f"couldn't get kubelet version: {error}", "install the kubelet of the target version"
        )
    plain = str(kubelet).removeprefix("v")
    if kubelet < minimum:
        return failed(
            f'Kubelet version "{plain}" is lower than kubeadm can support. Please upgrade kubelet',
            f"install kubelet {minimum} or newer",
            kubelet=plain,
        )
    if target is not None and (kubelet.major > target.major or kubelet.minor > target.minor):
        return failed(
            "the kubelet version is higher than the control plane version. This is not a supported "
            "version skew and may lead to a malfunctional cluster. Kubelet version: "
            f'"{plain}" Control plane version: "{str(target).removeprefix("v")}"',
            "install a kubelet no newer than the control plane",
            kubelet=plain,
        )
    return passed(f"kubelet {plain} is supported", kubelet=plain)


@REGISTRY.check("KubeletVersion", severity=Severity.ERROR, origin="kubeadm")
def kubelet_version(ctx: NodeContext) -> Finding:
    """``kubelet --version`` is within the supported skew (live host only: binaries under a root
    are not run). The skew against the control plane is checked for ``init`` (control-plane)."""
    if not ctx.host.is_live:
        return skipped("the kubelet binary of a host mounted elsewhere is not run")
    target: Version | None = None
    if ctx.role == "control-plane":
        try:
            target = ctx.target_version
        except ValueError as exc:
            return failed(f"couldn't parse Kubernetes version {ctx.kubernetes_version!r}: {exc}")
    probe = ctx.kubelet
    return judge_kubelet_version(probe.version, probe.error, target, minimum_kubelet_version())


def judge_service(state: services.ServiceState, service: str) -> Finding:
    if not state.init_system:
        return warned(
            "no supported init system detected, skipping checking for services",
            "run the kubelet under systemd or OpenRC",
        )
    if not state.exists:
        return warned(
            f"{service} service does not exist",
            f"install the {service} package (it ships the service unit)",
        )
    if not state.enabled:
        return warned(
            f"{service} service is not enabled, please run '{state.enable_command}'",
            state.enable_command,
            unit=state.unit_path,
            masked=state.masked,
        )
    return passed(f"{service} service is enabled", unit=state.unit_path)


@REGISTRY.check("Service-kubelet", severity=Severity.WARNING, origin="kubeadm")
def service_kubelet(ctx: NodeContext) -> Finding:
    """A kubelet service exists and is enabled (read from unit files and ``*.wants`` links).

    kubeadm names it ``Service-`` + the unit name, so the id is ``Service-kubelet`` (lower case).
    """
    return judge_service(services.service_state(ctx.host, "kubelet"), "kubelet")


@REGISTRY.check("Port-10250", severity=Severity.ERROR, origin="kubeadm")
def port_kubelet(ctx: NodeContext) -> Finding:
    """Nothing listens on the kubelet's port."""
    return port_free(ctx, KUBELET_PORT)


@REGISTRY.check(
    path_id("FileAvailable", CA_CERT), severity=Severity.ERROR, roles=WORKER, origin="kubeadm"
)
def ca_cert_available(ctx: NodeContext) -> Finding:
    """A joining worker must not have a cluster CA yet (kubeadm join writes it)."""
    return file_available(ctx, CA_CERT)


@REGISTRY.check(path_id("FileContent", IPV4_FORWARD), severity=Severity.ERROR, origin="kubeadm")
def ipv4_forward(ctx: NodeContext) -> Finding:
    """IPv4 forwarding is on (for a cluster with an IPv4 CIDR or advertise address)."""
    if 4 not in ctx.ip_families():
        return skipped("the cluster has no IPv4 CIDR or address")
    return file_content(
        ctx,
        IPV4_FORWARD,
        "1",
        "sysctl -w net.ipv4.ip_forward=1, and persist it in /etc/sysctl.d/k8s.conf",
    )


@REGISTRY.check(path_id("FileContent", IPV6_FORWARD), severity=Severity.ERROR, origin="kubeadm")
def ipv6_forward(ctx: NodeContext) -> Finding:
    """IPv6 forwarding is on, for clusters with an IPv6 CIDR or advertise address only."""
    if 6 not in ctx.ip_families():
        return skipped("not an IPv6 cluster (no IPv6 service or pod CIDR, no IPv6 address)")
    return file_content(
        ctx,
        IPV6_FORWARD,
        "1",
        "sysctl -w net.ipv6.conf.default.forwarding=1 (and all.forwarding=1), and "
        "persist it in /etc/sysctl.d/k8s.conf",
    )
