"""kubeadm's own ``kubeadm.k8s.io/v1beta4`` files, read into one ``BootstrapConfig``.

The file is the one a user would hand to ``kubeadm init --config`` or ``kubeadm join --config``:
``InitConfiguration`` and ``ClusterConfiguration`` (or a ``JoinConfiguration``) as YAML documents.
It is accepted or refused as ``kubeadm config validate`` v1.37 does (the integration tests run
both on the same files): strict field names, v1beta4 only, list-form ``extraArgs``, a control
plane version of at least kubeadm's minimum, ``etcd.external`` and ``criSocket`` checked and
carried. Fields kubeadm knows but nothing here uses come back as warnings naming them. The file
is read once, only if it is a regular file under ``MAX_CONFIG_BYTES``, without blocking.

One extra document kind of our own, ``LocalClusterConfiguration`` (``apiVersion:
kubeadm-verify/v1alpha1``), moves the ports kubeadm fixes, so tests can run several clusters
side by side (``kubeadm config validate`` refuses it as an unknown API; ``kubeadm init`` ignores
it with a warning)::

    apiVersion: kubeadm-verify/v1alpha1
    kind: LocalClusterConfiguration
    ports: {etcdClient: 0, etcdPeer: 0, etcdMetrics: 0, controllerManager: 0, scheduler: 0}
"""

from __future__ import annotations

import os
import stat

import yaml

from bootstrap.kubeadm import configread, configschema
from bootstrap.kubeadm.configfields import FieldReader
from bootstrap.kubeadm.configtypes import (
    INIT_DESCRIPTION,
    BootstrapConfig,
    BootstrapTokenSpec,
    ClusterConfiguration,
    LoadedConfig,
    NodeRegistration,
)
from kubeadm_verify import yamlread
from kubeadm_verify.errors import InputError, UsageError
from kubeadm_verify.filekind import file_kind
from kubeadm_verify.record import record, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

    from bootstrap.kubeadm.configtypes import Role

KUBEADM_GROUP = "kubeadm.k8s.io"
KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4"
LOCAL_API_VERSION = "kubeadm-verify/v1alpha1"
KUBEADM_KINDS = ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration")
IGNORED_KUBEADM_KINDS = ("ResetConfiguration", "UpgradeConfiguration")
COMPONENT_CONFIGS = (
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"),
)
"""Documents kubeadm takes beside its own; any other API is an error, as in ``config validate``
(our ``LocalClusterConfiguration`` excepted: ``kubeadm init`` ignores it with a warning)."""
OLD_KUBEADM_API_VERSIONS = tuple(
    f"{KUBEADM_GROUP}/{version}"
    for version in ("v1alpha1", "v1alpha2", "v1alpha3", "v1beta1", "v1beta2", "v1beta3")
)
MAX_CONFIG_BYTES = 1 << 20
"""A kubeadm configuration is a few kilobytes; a larger file is refused before it is read."""


@record
class _Documents:
    """The documents of one file, by kind; at most one of each."""

    by_kind: dict[str, object]
    warnings: tuple[str, ...]


def default_config(node_name: str | None = None) -> BootstrapConfig:
    """What ``kubeadm init`` without a config file would use, on the loopback address."""
    token = BootstrapTokenSpec(description=INIT_DESCRIPTION)
    name = node_name or configread.default_node_name()
    return BootstrapConfig(
        cluster=ClusterConfiguration(), node=NodeRegistration(name=name), bootstrap_tokens=(token,)
    )


def load_config(path: str | os.PathLike[str] | None) -> LoadedConfig:
    """The configuration in ``path`` with kubeadm's defaults filled in; ``None`` = all defaults."""
    if path is None:
        return LoadedConfig(default_config())
    return parse_config(_read(path), str(path))


def parse_config(text: str, source: str = "<config>") -> LoadedConfig:
    """Like ``load_config`` for text already read; ``source`` names it in error messages."""
    documents = _split(text, source)
    _refuse_unknown_fields(documents.by_kind, source)
    reader = FieldReader()
    config = _assemble(documents.by_kind, reader, source)
    unused = tuple(f"{name}: not used by kubeadm-verify, ignored" for name in reader.unknown())
    return LoadedConfig(config, documents.warnings + unused + configread.sans_warnings(config))


def _refuse_unknown_fields(by_kind: dict[str, object], source: str) -> None:
    """kubeadm decodes strictly: a field its API does not have is an error (not a warning)."""
    for kind, document in by_kind.items():
        if kind in configschema.BY_KIND and isinstance(document, dict):
            unknown = configschema.unknown_fields(kind, document)
            if unknown:
                raise UsageError(f"{source}: strict decoding error: unknown field {unknown[0]!r}")


def node_registration_from_file(path: str | Path) -> tuple[Role, tuple[str, ...]]:
    """The role and ``ignorePreflightErrors`` that ``kubeadm-verify node --config`` needs.

    A ``JoinConfiguration`` means a worker unless it has ``controlPlane``; anything else is a
    control plane, as ``kubeadm init``.
    """
    config = load_config(path).config
    return config.role, config.node.ignore_preflight_errors


def _read(path: str | os.PathLike[str]) -> str:
    """A regular file of at most ``MAX_CONFIG_BYTES``, opened without blocking (a FIFO never
    hangs us) and checked before any byte is read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise InputError(f"cannot read config file {path}: {error.strerror}") from error
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode)
            raise InputError(f"cannot read config file {path}: {kind}, not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise InputError(
                f"cannot read config file {path}: larger than {MAX_CONFIG_BYTES // 1024} KiB"
            )
        try:
            data = handle.read(MAX_CONFIG_BYTES + 1)
            if len(data) > MAX_CONFIG_BYTES:
                raise InputError(
                    f"cannot read config file {path}: larger than {MAX_CONFIG_BYTES // 1024} KiB"
                )
            return data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise InputError(f"cannot read config file {path}: {reason}") from error


def _split(text: str, source: str) -> _Documents:
    try:
        loaded = [doc for doc in yamlread.load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        said = "refused" if isinstance(error, yamlread.YAMLRefused) else "not valid YAML"
        raise InputError(f"{source}: {said}{line}: {problem}") from error
    by_kind: dict[str, object] = {}
    warnings: list[str] = []
    for index, document in enumerate(loaded):
        kind = _kind_of(document, index, source, warnings)
        if kind is None:
            continue
        if kind in by_kind:
            raise UsageError(f"{source}: more than one {kind} document")
        by_kind[kind] = document
    return _Documents(by_kind, tuple(warnings))


def _kind_of(document: object, index: int, source: str, warnings: list[str]) -> str | None:
    """The kind we will read, ``None`` for a document kubeadm would ignore (with a warning)."""
    if not isinstance(document, dict):
        raise UsageError(f"{source}: document {index + 1} is not a mapping")
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise UsageError(f"{source}: document {index + 1} needs a string apiVersion and kind")
    if api_version == LOCAL_API_VERSION and kind == "LocalClusterConfiguration":
        return kind
    if (api_version, kind) in COMPONENT_CONFIGS:
        warnings.append(f"{kind} ({api_version}): document not used by kubeadm-verify, ignored")
        return None
    if api_version.split("/")[0] != KUBEADM_GROUP:
        raise UsageError(f"{source}: unknown configuration APIs: {api_version}, Kind={kind}")
    if api_version in OLD_KUBEADM_API_VERSIONS:
        raise UsageError(
            f"{source}: your configuration file uses an old API spec: "
            f"{api_version!r} (kind: {kind!r}); only {KUBEADM_API_VERSION} is "
            "supported"
        )
    if api_version != KUBEADM_API_VERSION:
        raise UsageError(f"{source}: unknown configuration APIs: {api_version}, Kind={kind}")
    if kind in IGNORED_KUBEADM_KINDS:
        warnings.append(f"{kind}: document not used when bringing a cluster up, ignored")
        return None
    if kind not in KUBEADM_KINDS:
        raise UsageError(f"{source}: unknown kind {kind!r} for {KUBEADM_API_VERSION}")
    return kind


def _assemble(by_kind: dict[str, object], reader: FieldReader, source: str) -> BootstrapConfig:
    if "InitConfiguration" in by_kind and "JoinConfiguration" in by_kind:
        raise UsageError(f"{source}: has both an InitConfiguration and a JoinConfiguration")
    if not any(kind in by_kind for kind in KUBEADM_KINDS):
        raise UsageError(f"{source}: no {', '.join(KUBEADM_KINDS)} document")
    cluster = configread.cluster(
        reader.open(by_kind.get("ClusterConfiguration"), "ClusterConfiguration")
    )
    if "JoinConfiguration" in by_kind:
        config = configread.join(
            reader.open(by_kind["JoinConfiguration"], "JoinConfiguration"), cluster
        )
    else:
        config = configread.init(
            reader.open(by_kind.get("InitConfiguration"), "InitConfiguration"), cluster
        )
    local = reader.open(by_kind.get("LocalClusterConfiguration"), "LocalClusterConfiguration")
    return replace(config, ports=configread.ports(local, cluster))
