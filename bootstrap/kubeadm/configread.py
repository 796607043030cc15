"""One reader per kubeadm document kind, each checking values as kubeadm's validation does.

Split from ``bootstrap.kubeadm.config`` (which finds the documents) so each reader stays a short
function of the fields it knows; anything it does not ask for is reported by the ``FieldReader``.
"""

from __future__ import annotations

import _socket  # not socket.py, which makes enums of every constant as it is imported
import ipaddress
import re
from datetime import datetime

from bootstrap.kubeadm import configrules
from bootstrap.kubeadm.configfields import Fields
from bootstrap.kubeadm.configtypes import (
    APIEndpoint,
    BootstrapConfig,
    BootstrapTokenSpec,
    ClusterConfiguration,
    Discovery,
    EncryptionAlgorithm,
    ExtraArg,
    LocalPorts,
    Networking,
    NodeRegistration,
)
from kubeadm_verify.errors import UsageError
from kubeadm_verify.record import replace

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"\A{_DNS_LABEL}(\.{_DNS_LABEL})*\Z")
_VERSION = re.compile(r"\Av?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)\Z")
# Compiled at first use (re's own cache), not on import: most runs never need it, and the
# node tier's start is timed against kubeadm's.
_BOOTSTRAP_FORM = r"\A[a-z0-9]{6}\.[a-z0-9]{16}\Z"
_GROUP_FORM = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\Z"
_TOKEN_USAGES = ("signing", "authentication")
_DOCUMENT_KEYS = ("apiVersion", "kind")


def default_node_name() -> str:
    """kubeadm names the node after the host, lower-cased."""
    return _socket.gethostname().strip().lower() or "localhost"


def is_dns_subdomain(name: str) -> bool:
    """RFC 1123 subdomain, as Kubernetes validates node names and certificate DNS SANs."""
    return len(name) <= 253 and _DNS_SUBDOMAIN.match(name) is not None


def san_kind(san: str) -> str | None:
    """``ip``, ``dns`` or ``None``: kubeadm drops (with a warning) a SAN that is neither."""
    try:
        ipaddress.ip_address(san)
    except ValueError:
        pass
    else:
        return "ip"
    bare = san[2:] if san.startswith("*.") else san
    return "dns" if is_dns_subdomain(bare) else None


def sans_warnings(config: BootstrapConfig) -> tuple[str, ...]:
    return tuple(
        f"ClusterConfiguration.apiServer.certSANs: {san!r} is not a valid IP or "
        "RFC-1123 DNS name, it will not be added to the apiserver certificate"
        for san in config.cluster.api_server_cert_sans
        if san_kind(san) is None
    )


def cluster(fields: Fields) -> ClusterConfiguration:
    fields.skip(*_DOCUMENT_KEYS)
    api_server = fields.child("apiServer")
    etcd = fields.child("etcd")
    if etcd.has("local") and etcd.has("external"):
        raise UsageError(
            f"{fields.where('etcd')}: .Etcd.Local and .Etcd.External are mutually exclusive"
        )
    etcd_local = etcd.child("local")
    return ClusterConfiguration(
        kubernetes_version=_version(fields.string("kubernetesVersion"), fields),
        networking=_networking(fields.child("networking")),
        api_server_extra_args=api_server.extra_args("extraArgs"),
        controller_manager_extra_args=fields.child("controllerManager").extra_args("extraArgs"),
        scheduler_extra_args=fields.child("scheduler").extra_args("extraArgs"),
        etcd_extra_args=etcd_local.extra_args("extraArgs"),
        api_server_cert_sans=api_server.strings("certSANs"),
        certificate_validity=fields.duration(
            "certificateValidityPeriod", ClusterConfiguration.certificate_validity
        ),
        ca_certificate_validity=fields.duration(
            "caCertificateValidityPeriod", ClusterConfiguration.ca_certificate_validity
        ),
        encryption_algorithm=_algorithm(fields),
        etcd_external=configrules.external_etcd(etcd) if etcd.has("external") else None,
    )


def init(fields: Fields, cluster_config: ClusterConfiguration) -> BootstrapConfig:
    fields.skip(*_DOCUMENT_KEYS)
    tokens = tuple(_token(item) for item in fields.children("bootstrapTokens"))
    return BootstrapConfig(
        cluster=cluster_config,
        node=_node(fields.child("nodeRegistration")),
        endpoint=_endpoint(fields.child("localAPIEndpoint")),
        bootstrap_tokens=tokens or (BootstrapTokenSpec(),),
    )


def join(fields: Fields, cluster_config: ClusterConfiguration) -> BootstrapConfig:
    """A joining node: a worker unless ``controlPlane`` is set (even to an empty mapping)."""
    fields.skip(*_DOCUMENT_KEYS)
    worker = not fields.has("controlPlane")
    control_plane = fields.child("controlPlane")
    return BootstrapConfig(
        cluster=cluster_config,
        node=_node(fields.child("nodeRegistration")),
        endpoint=_endpoint(control_plane.child("localAPIEndpoint")),
        bootstrap_tokens=(),
        role="worker" if worker else "control-plane",
        discovery=_discovery(fields.child("discovery").child("bootstrapToken")),
    )


def ports(fields: Fields, cluster_config: ClusterConfiguration) -> LocalPorts:
    """Ports from ``LocalClusterConfiguration``; a ``secure-port`` extraArg is what really runs."""
    fields.skip(*_DOCUMENT_KEYS)
    given = fields.child("ports")
    default = LocalPorts()
    result = LocalPorts(
        etcd_client=_port(given, "etcdClient", default.etcd_client),
        etcd_peer=_port(given, "etcdPeer", default.etcd_peer),
        etcd_metrics=_port(given, "etcdMetrics", default.etcd_metrics),
        controller_manager=_port(given, "controllerManager", default.controller_manager),
        scheduler=_port(given, "scheduler", default.scheduler),
    )
    kcm = _secure_port(
        cluster_config.controller_manager_extra_args,
        "controllerManager",
        given,
        result.controller_manager,
    )
    scheduler = _secure_port(
        cluster_config.scheduler_extra_args, "scheduler", given, result.scheduler
    )
    return replace(result, controller_manager=kcm, scheduler=scheduler)


def _version(text: str, fields: Fields) -> str:
    if not text:
        return ClusterConfiguration.kubernetes_version
    match = _VERSION.match(text.strip())
    if match is None:
        raise UsageError(
            f"{fields.where('kubernetesVersion')}: {text!r} is not an exact version like v1.37.2"
        )
    version = f"v{match.group(1)}"
    numbers = tuple(int(part) for part in re.split(r"[-+]", match.group(1))[0].split("."))
    minimum = configrules.minimum_control_plane_version()
    if numbers < minimum:
        raise UsageError(
            "this version of kubeadm only supports deploying clusters with the "
            f"control plane version >= {'.'.join(map(str, minimum))}. "
            f"Current version: {version}"
        )
    return version


def _networking(fields: Fields) -> Networking:
    defaults = Networking()
    service = fields.string("serviceSubnet", defaults.service_subnet)
    pod = fields.string("podSubnet")
    domain = fields.string("dnsDomain", defaults.dns_domain)
    _cidrs(service, fields.where("serviceSubnet"))
    if pod:
        _cidrs(pod, fields.where("podSubnet"))
    if not is_dns_subdomain(domain):
        raise UsageError(f"{fields.where('dnsDomain')}: {domain!r} is not a valid DNS domain")
    return Networking(service_subnet=service, pod_subnet=pod, dns_domain=domain)


def _cidrs(text: str, where: str) -> None:
    for part in text.split(","):
        try:
            ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            raise UsageError(f"{where}: {part.strip()!r} is not a CIDR") from None


def _algorithm(fields: Fields) -> EncryptionAlgorithm:
    text = fields.string("encryptionAlgorithm", EncryptionAlgorithm.RSA_2048.value)
    try:
        return EncryptionAlgorithm(text)
    except ValueError:
        known = ", ".join(algorithm.value for algorithm in EncryptionAlgorithm)
        raise UsageError(
            f"{fields.where('encryptionAlgorithm')}: {text!r} is not one of {known}"
        ) from None


def _node(fields: Fields) -> NodeRegistration:
    name = fields.string("name").strip() or default_node_name()
    if not is_dns_subdomain(name):
        raise UsageError(f"{fields.where('name')}: {name!r} is not a valid node name")
    ignored = tuple(
        dict.fromkeys(
            item.strip() for item in fields.strings("ignorePreflightErrors") if item.strip()
        )
    )
    lowered = {item.lower() for item in ignored}
    if "all" in lowered and len(lowered) > 1:
        raise UsageError(
            f"{fields.where('ignorePreflightErrors')}: don't name individual "
            "checks when 'all' is used"
        )
    return NodeRegistration(
        name=name, ignore_preflight_errors=ignored, cri_socket=configrules.cri_socket(fields)
    )


def _endpoint(fields: Fields) -> APIEndpoint:
    default = APIEndpoint()
    address = fields.string("advertiseAddress", default.advertise_address)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise UsageError(
            f"{fields.where('advertiseAddress')}: {address!r} is not an IP address"
        ) from None
    return APIEndpoint(
        advertise_address=address,
        bind_port=_port(fields, "bindPort", default.bind_port),
        advertise_given=fields.has("advertiseAddress"),
    )


def _port(fields: Fields, key: str, default: int) -> int:
    port = fields.integer(key, default)
    if not 0 <= port <= 65535:
        raise UsageError(f"{fields.where(key)}: {port} is not a port (0 picks a free one)")
    return port


def _secure_port(args: tuple[ExtraArg, ...], component: str, given: Fields, port: int) -> int:
    values = [arg.value for arg in args if arg.name == "secure-port"]
    if not values:
        return port
    where = f"ClusterConfiguration.{component}.extraArgs.secure-port"
    if not values[-1].isdigit() or not 0 <= int(values[-1]) <= 65535:
        raise UsageError(f"{where}: {values[-1]!r} is not a port")
    if given.has(component) and int(values[-1]) != port:
        raise UsageError(f"{where} and LocalClusterConfiguration.ports.{component} disagree")
    return int(values[-1])


def _token(fields: Fields) -> BootstrapTokenSpec:
    default = BootstrapTokenSpec()
    token = fields.string("token")
    if token and re.match(_BOOTSTRAP_FORM, token) is None:
        raise UsageError(f"{fields.where('token')}: not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")
    usages = fields.strings("usages") or default.usages
    groups = fields.strings("groups") or default.groups
    unknown = [usage for usage in usages if usage not in _TOKEN_USAGES]
    if unknown:
        raise UsageError(f"{fields.where('usages')}: unknown usage {unknown[0]!r}")
    wrong = [group for group in groups if re.match(_GROUP_FORM, group) is None]
    if wrong:
        raise UsageError(f"{fields.where('groups')}: {wrong[0]!r} must match {_GROUP_FORM}")
    return BootstrapTokenSpec(
        token=token,
        description=fields.string("description"),
        ttl=fields.duration("ttl", default.ttl),
        expires=_expires(fields),
        usages=usages,
        groups=groups,
    )


def _expires(fields: Fields) -> datetime | None:
    text = fields.string("expires")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{fields.where('expires')}: {text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise UsageError(f"{fields.where('expires')}: {text!r} needs a time zone (Z)")
    return moment


def _discovery(fields: Fields) -> Discovery:
    token = fields.string("token")
    if token and re.match(_BOOTSTRAP_FORM, token) is None:
        raise UsageError(f"{fields.where('token')}: not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")
    return Discovery(
        token=token,
        api_server_endpoint=fields.string("apiServerEndpoint"),
        ca_cert_hashes=fields.strings("caCertHashes"),
        unsafe_skip_ca_verification=fields.boolean("unsafeSkipCAVerification"),
    )
