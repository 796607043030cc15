"""What every node check is given: the host, the role and versions it is judged against.

Facts several checks need (the kernel release, the cgroup version, the kubelet version, one look
at the container runtime) are read once per run and kept on the context, so a run reads each
file at most once and opens at most one connection to the runtime.
"""

from __future__ import annotations

import contextlib
import ipaddress
from functools import cached_property

from kubeadm_verify.nodesettings import NodeSettings
from kubeadm_verify.pins import (
    DEFAULT_BIND_PORT,
    DEFAULT_ROLE,
    DEFAULT_SERVICE_SUBNET,
)
from kubeadm_verify.pins import KUBERNETES_VERSION as DEFAULT_KUBERNETES_VERSION
from kubeadm_verify.record import record
from nodechecks import crisocket, sockdiag
from nodechecks import facts as host_facts
from nodechecks.host import Host
from nodechecks.parsers.net import TcpSocket
from nodechecks.versions import Version, parse_kubelet_version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple

    from nodechecks.cri import CriProbe
else:
    from kubeadm_verify.typeshim import NamedTuple

__all__ = ["DEFAULT_KUBERNETES_VERSION", "KubeletVersionProbe", "NodeContext"]


class KubeletVersionProbe(NamedTuple):
    """The installed kubelet's version, or why it could not be had (kubeadm's message)."""

    version: Version | None
    error: str = ""
    path: str = ""


@record
class NodeContext:
    """The settings a run was given, as the checks read them, and the facts read once per run.

    Frozen: a check can read the settings but not change them for the checks after it; the
    cached facts are kept in the instance's own dictionary, which freezing leaves writable."""

    host: Host
    role: str = DEFAULT_ROLE
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    ignored: frozenset[str] = frozenset()
    pull_images: bool = False
    bind_port: int = DEFAULT_BIND_PORT
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    pod_subnet: str = ""
    advertise_address: str = ""
    node_name: str = ""
    cri_socket: str = ""
    external_etcd_endpoints: tuple[str, ...] = ()
    external_etcd_ca: str = ""
    external_etcd_cert: str = ""
    external_etcd_key: str = ""

    @classmethod
    def from_settings(cls, settings: NodeSettings) -> NodeContext:
        return cls(
            host=Host(settings.root),
            role=settings.role,
            kubernetes_version=settings.kubernetes_version,
            ignored=settings.ignored,
            pull_images=settings.pull_images,
            bind_port=settings.bind_port,
            service_subnet=settings.service_subnet,
            pod_subnet=settings.pod_subnet,
            advertise_address=settings.advertise_address,
            node_name=settings.node_name,
            cri_socket=settings.cri_socket,
            external_etcd_endpoints=settings.etcd.endpoints,
            external_etcd_ca=settings.etcd.ca_file,
            external_etcd_cert=settings.etcd.cert_file,
            external_etcd_key=settings.etcd.key_file,
        )

    @cached_property
    def kernel_release(self) -> str:
        """The kernel release, from ``proc/sys/kernel/osrelease`` (also what ``uname -r`` says)."""
        return self.host.read_text("/proc/sys/kernel/osrelease").strip()

    @cached_property
    def kernel_config(self) -> tuple[str, dict[str, str]] | None:
        """The first kernel config file found and its options (decompressed once per run)."""
        return host_facts.kernel_config(self.host, self.kernel_release)

    @cached_property
    def tcp_listeners(self) -> list[TcpSocket]:
        """The sockets in LISTEN, read once for all the port checks (the tables are slow to
        generate, and only listeners can hold a port kubeadm wants to bind). On the live host
        the kernel lists them itself (``nodechecks.sockdiag``), unless it refuses."""
        if self.host.is_live:
            with contextlib.suppress(OSError):
                return sockdiag.tcp_listeners()
        return host_facts.tcp_sockets(self.host, listening_only=True)

    @cached_property
    def local_addresses(self) -> host_facts.LocalAddresses | None:
        """This host's own addresses, read once for every port check that names an address."""
        return host_facts.local_addresses(self.host)

    @cached_property
    def target_version(self) -> Version:
        """The Kubernetes version the node is checked for (``ValueError`` if it does not parse)."""
        return Version.parse(self.kubernetes_version)

    @cached_property
    def cgroup(self) -> host_facts.CgroupMode:
        return host_facts.cgroup_mode(self.host)

    @cached_property
    def kubelet(self) -> KubeletVersionProbe:
        """``kubelet --version`` on the live host; a mounted root's binaries are never run."""
        if not self.host.is_live:
            return KubeletVersionProbe(None, "programs are not run under a host root other than /")
        path = self.host.which("kubelet")
        if path is None:
            return KubeletVersionProbe(None, 'exec: "kubelet": executable file not found in $PATH')
        try:
            done = self.host.run([path, "--version"])
        except OSError as exc:
            return KubeletVersionProbe(None, str(exc), path)
        if done.returncode != 0:
            why = f"{path} --version: exit status {done.returncode}"
            return KubeletVersionProbe(None, why, path)
        try:
            return KubeletVersionProbe(parse_kubelet_version(done.stdout), "", path)
        except ValueError as exc:
            return KubeletVersionProbe(None, str(exc), path)

    @property
    def effective_kubelet_version(self) -> Version | None:
        """The kubelet that will run here: the installed one, else the target version's kubelet."""
        if self.kubelet.version is not None:
            return self.kubelet.version
        try:
            return self.target_version
        except ValueError:
            return None

    @cached_property
    def cri_endpoints(self) -> list[str]:
        """The runtime endpoint to use: the configured one, else the known sockets that exist."""
        if self.cri_socket:
            return [self.cri_socket if "://" in self.cri_socket else "unix://" + self.cri_socket]
        return crisocket.detect_endpoints(self.host)

    @cached_property
    def cri(self) -> CriProbe | None:
        """One look at the runtime (live host, exactly one endpoint); ``None`` if none to ask."""
        if not self.host.is_live or len(self.cri_endpoints) != 1:
            return None
        from nodechecks.cri import probe  # the client and its codec only when there is a runtime

        return probe(self.cri_endpoints[0])

    def cluster_cidrs(self) -> list[str]:
        joined = f"{self.service_subnet},{self.pod_subnet}"
        return [cidr.strip() for cidr in joined.split(",") if cidr.strip()]

    def ip_families(self) -> set[int]:
        """IP versions in use, as kubeadm decides which forwarding checks to add: ``init`` looks at
        the service and pod CIDRs and the advertise address, ``join`` at the API server endpoint
        only (here the advertise address). IPv4 when nothing says otherwise."""
        families: set[int] = set()
        if self.advertise_address:
            with contextlib.suppress(ValueError):
                families.add(ipaddress.ip_address(self.advertise_address).version)
        if self.role == "worker" and self.advertise_address:
            return families  # a host name as the endpoint: kubeadm join adds neither check
        for cidr in self.cluster_cidrs():
            try:
                families.add(ipaddress.ip_network(cidr, strict=False).version)
            except ValueError:
                continue
        return families or {4}

    @property
    def external_etcd(self) -> bool:
        return bool(self.external_etcd_endpoints)
