"""Every field name of kubeadm's ``v1beta4`` documents, so an unknown one fails as in kubeadm.

``kubeadm config validate`` decodes strictly: a misspelt or invented field is an error, not a
warning. We read only a subset of the fields, so the set kubeadm knows is kept here as data (the
field names are the API, from ``cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go`` and the bootstrap
token type), and a file is walked against it before its values are read. A field kubeadm knows
but we do not use is then a warning; a field kubeadm does not know is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import TypeAlias

    Schema: TypeAlias = "ListOf | Mapping[str, Schema] | None"
    """``None``: any value (a scalar, or data kubeadm does not decode field by field)."""


class ListOf:
    """A list whose items each follow ``item``."""

    def __init__(self, item: Mapping[str, Schema]) -> None:
        self.item = item


def _leaves(*names: str) -> dict[str, Schema]:
    return dict.fromkeys(names)


_TYPE_META = _leaves("apiVersion", "kind")
_ARGS = ListOf(_leaves("name", "value"))
_ENVS = ListOf(_leaves("name", "value", "valueFrom"))
_VOLUMES = ListOf(_leaves("name", "hostPath", "mountPath", "readOnly", "pathType"))
_COMPONENT: dict[str, Schema] = {"extraArgs": _ARGS, "extraVolumes": _VOLUMES, "extraEnvs": _ENVS}
_ENDPOINT = _leaves("advertiseAddress", "bindPort")
_PATCHES = _leaves("directory")
_TIMEOUTS = _leaves(
    "controlPlaneComponentHealthCheck",
    "kubeletHealthCheck",
    "kubernetesAPICall",
    "etcdAPICall",
    "tlsBootstrap",
    "discovery",
    "upgradeManifests",
)
_NODE_REGISTRATION: dict[str, Schema] = {
    **_leaves("name", "criSocket", "ignorePreflightErrors", "imagePullPolicy", "imagePullSerial"),
    "taints": ListOf(_leaves("key", "value", "effect", "timeAdded")),
    "kubeletExtraArgs": _ARGS,
}
_BOOTSTRAP_TOKEN = _leaves("token", "description", "ttl", "expires", "usages", "groups")

INIT: dict[str, Schema] = {
    **_TYPE_META,
    **_leaves("dryRun", "certificateKey", "skipPhases"),
    "bootstrapTokens": ListOf(_BOOTSTRAP_TOKEN),
    "nodeRegistration": _NODE_REGISTRATION,
    "localAPIEndpoint": _ENDPOINT,
    "patches": _PATCHES,
    "timeouts": _TIMEOUTS,
}
CLUSTER: dict[str, Schema] = {
    **_TYPE_META,
    **_leaves(
        "kubernetesVersion",
        "controlPlaneEndpoint",
        "certificatesDir",
        "imageRepository",
        "featureGates",
        "clusterName",
        "encryptionAlgorithm",
        "certificateValidityPeriod",
        "caCertificateValidityPeriod",
    ),
    "etcd": {
        "local": {
            **_leaves("imageRepository", "imageTag", "dataDir", "serverCertSANs", "peerCertSANs"),
            "extraArgs": _ARGS,
            "extraEnvs": _ENVS,
        },
        "external": _leaves("endpoints", "httpEndpoints", "caFile", "certFile", "keyFile"),
    },
    "networking": _leaves("serviceSubnet", "podSubnet", "dnsDomain"),
    "apiServer": {**_COMPONENT, "certSANs": None},
    "controllerManager": _COMPONENT,
    "scheduler": _COMPONENT,
    "dns": _leaves("imageRepository", "imageTag", "disabled"),
    "proxy": _leaves("disabled"),
}
JOIN: dict[str, Schema] = {
    **_TYPE_META,
    **_leaves("dryRun", "caCertPath", "skipPhases"),
    "nodeRegistration": _NODE_REGISTRATION,
    "discovery": {
        "bootstrapToken": _leaves(
            "token", "apiServerEndpoint", "caCertHashes", "unsafeSkipCAVerification"
        ),
        "file": _leaves("kubeConfigPath"),
        "tlsBootstrapToken": None,
    },
    "controlPlane": {"localAPIEndpoint": _ENDPOINT, "certificateKey": None},
    "patches": _PATCHES,
    "timeouts": _TIMEOUTS,
}
RESET: dict[str, Schema] = {
    **_TYPE_META,
    **_leaves(
        "cleanupTmpDir",
        "certificatesDir",
        "criSocket",
        "dryRun",
        "force",
        "ignorePreflightErrors",
        "skipPhases",
        "unmountFlags",
    ),
    "timeouts": _TIMEOUTS,
}
_UPGRADE_COMMON = _leaves(
    "dryRun",
    "etcdUpgrade",
    "ignorePreflightErrors",
    "skipPhases",
    "imagePullPolicy",
    "imagePullSerial",
    "certificateRenewal",
)
UPGRADE: dict[str, Schema] = {
    **_TYPE_META,
    "apply": {
        **_UPGRADE_COMMON,
        **_leaves(
            "kubernetesVersion",
            "allowExperimentalUpgrades",
            "allowRCUpgrades",
            "forceUpgrade",
            "printConfig",
        ),
        "patches": _PATCHES,
    },
    "diff": _leaves("kubernetesVersion", "contextLines"),
    "node": {**_UPGRADE_COMMON, "patches": _PATCHES},
    "plan": _leaves(
        "kubernetesVersion",
        "allowExperimentalUpgrades",
        "allowRCUpgrades",
        "dryRun",
        "etcdUpgrade",
        "ignorePreflightErrors",
        "printConfig",
    ),
    "timeouts": _TIMEOUTS,
}
BY_KIND: dict[str, dict[str, Schema]] = {
    "InitConfiguration": INIT,
    "ClusterConfiguration": CLUSTER,
    "JoinConfiguration": JOIN,
    "ResetConfiguration": RESET,
    "UpgradeConfiguration": UPGRADE,
}


def unknown_fields(kind: str, document: Mapping[object, object]) -> list[str]:
    """Every field of ``document`` that kubeadm's ``kind`` has not, as ``Kind.path.to.field``."""
    return list(_walk(BY_KIND[kind], document, kind))


def _walk(schema: Schema, value: object, path: str) -> list[str]:
    if schema is None or value is None:
        return []
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            return []
        return [
            name
            for index, item in enumerate(value)
            for name in _walk(schema.item, item, f"{path}[{index}]")
        ]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, item in value.items():
        if key not in schema:
            found.append(f"{path}.{key}")
            continue
        found += _walk(schema[str(key)], item, f"{path}.{key}")
    return found


__all__ = ["BY_KIND", "ListOf", "unknown_fields"]
