"""kubeadm's certificate table as data: names, files, signers, subjects, usages and SANs.

Mirrors ``cmd/kubeadm/app/phases/certs/certlist.go`` (``GetDefaultCertList``) and the SAN helpers
of ``cmd/kubeadm/app/util/pkiutil``, at kubeadm v1.37. The order is kubeadm's phase order, every
CA before the certificates it signs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from bootstrap.kubeadm.configread import san_kind
from bootstrap.kubeadm.configtypes import BootstrapConfig, IPAddress

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
KUBELET_API_ADMIN_GROUP = "system:kubelet-api-admin"
"""The ClusterRole kubeadm v1.37 binds the apiserver's kubelet client user to (its certificate
carries no Organization: the binding names the user ``kube-apiserver-kubelet-client``)."""


@dataclass(frozen=True)
class AltNames:
    """SANs as kubeadm's ``RemoveDuplicateAltNames`` leaves them: DNS sorted, IPs in order."""

    dns: tuple[str, ...] = ()
    ips: tuple[IPAddress, ...] = ()

    @classmethod
    def of(
        cls, dns: Iterable[str], ips: Iterable[IPAddress], extra: Iterable[str] = ()
    ) -> AltNames:
        """Defaults plus user SANs; a SAN that is neither an IP nor a DNS name is dropped."""
        dns_names, addresses = list(dns), list(ips)
        for san in extra:
            kind = san_kind(san)
            if kind == "ip":
                addresses.append(ipaddress.ip_address(san))
            elif kind == "dns":
                dns_names.append(san)
        return cls(dns=tuple(sorted(set(dns_names))), ips=tuple(dict.fromkeys(addresses)))


@dataclass(frozen=True)
class CertSpec:
    """One row of the table; ``ca_name`` is None for a CA, ``common_name`` "" for the node name."""

    name: str
    base_name: str
    description: str
    ca_name: str | None = None
    common_name: str = ""
    organizations: tuple[str, ...] = ()
    usages: tuple[ObjectIdentifier, ...] = ()
    alt_names: Callable[[BootstrapConfig], AltNames] | None = None

    @property
    def is_ca(self) -> bool:
        return self.ca_name is None

    def subject_name(self, config: BootstrapConfig) -> str:
        """The CN: fixed, except etcd's server and peer certificates, named after the node."""
        return self.common_name or config.node.name


def _advertise_ip(config: BootstrapConfig) -> IPAddress:
    return ipaddress.ip_address(config.endpoint.advertise_address)


def api_server_alt_names(config: BootstrapConfig) -> AltNames:
    """``GetAPIServerAltNames``: node name, the ``kubernetes`` service names, VIP, advertise IP."""
    domain = config.cluster.networking.dns_domain
    dns = (
        config.node.name,
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{domain}",
    )
    ips = (config.cluster.networking.api_server_virtual_ip, _advertise_ip(config))
    return AltNames.of(dns, ips, config.cluster.api_server_cert_sans)


def etcd_alt_names(config: BootstrapConfig) -> AltNames:
    """``getAltNames`` for etcd server and peer: node name, localhost and the loopbacks."""
    loopbacks = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    return AltNames.of((config.node.name, "localhost"), (_advertise_ip(config), *loopbacks))


CERTS: tuple[CertSpec, ...] = (
    CertSpec(
        "ca",
        "ca",
        "the self-signed Kubernetes CA to provision identities for other Kubernetes components",
        common_name="kubernetes",
    ),
    CertSpec(
        "apiserver",
        "apiserver",
        "the certificate for serving the Kubernetes API",
        ca_name="ca",
        common_name="kube-apiserver",
        usages=(SERVER_AUTH,),
        alt_names=api_server_alt_names,
    ),
    CertSpec(
        "apiserver-kubelet-client",
        "apiserver-kubelet-client",
        "the certificate for the API server to connect to kubelet",
        ca_name="ca",
        common_name="kube-apiserver-kubelet-client",
        usages=(CLIENT_AUTH,),
    ),
    CertSpec(
        "front-proxy-ca",
        "front-proxy-ca",
        "the self-signed CA to provision identities for front proxy",
        common_name="front-proxy-ca",
    ),
    CertSpec(
        "front-proxy-client",
        "front-proxy-client",
        "the certificate for the front proxy client",
        ca_name="front-proxy-ca",
        common_name="front-proxy-client",
        usages=(CLIENT_AUTH,),
    ),
    CertSpec(
        "etcd-ca",
        "etcd/ca",
        "the self-signed CA to provision identities for etcd",
        common_name="etcd-ca",
    ),
    CertSpec(
        "etcd-server",
        "etcd/server",
        "the certificate for serving etcd",
        ca_name="etcd-ca",
        usages=(SERVER_AUTH, CLIENT_AUTH),
        alt_names=etcd_alt_names,
    ),
    CertSpec(
        "etcd-peer",
        "etcd/peer",
        "the certificate for etcd nodes to communicate with each other",
        ca_name="etcd-ca",
        usages=(SERVER_AUTH, CLIENT_AUTH),
        alt_names=etcd_alt_names,
    ),
    CertSpec(
        "etcd-healthcheck-client",
        "etcd/healthcheck-client",
        "the certificate for liveness probes to healthcheck etcd",
        ca_name="etcd-ca",
        common_name="kube-etcd-healthcheck-client",
        usages=(CLIENT_AUTH,),
    ),
    CertSpec(
        "apiserver-etcd-client",
        "apiserver-etcd-client",
        "the certificate the apiserver uses to access etcd",
        ca_name="etcd-ca",
        common_name="kube-apiserver-etcd-client",
        usages=(CLIENT_AUTH,),
    ),
)


def cert_spec(name: str) -> CertSpec:
    """The row for a phase sub-name such as ``etcd-server``; KeyError names the unknown one."""
    for spec in CERTS:
        if spec.name == name:
            return spec
    raise KeyError(name)
