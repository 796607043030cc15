"""The node tier's registry; check modules declare into it when ``nodechecks.checks`` loads."""

from __future__ import annotations

from kubeadm_verify.checks import Registry
from nodechecks.context import NodeContext

REGISTRY: Registry[NodeContext] = Registry("node")
