"""The node tier's registry. Check modules declare into it when ``nodechecks.checks`` is imported.

One id depends on the configuration: kubeadm names the API server's port check after its
``bindPort`` (``Port-6443`` by default, ``Port-8443`` under minikube). Registration reads no
configuration, so the check is declared as ``Port-6443`` and renamed for a run by ``for_run``;
``--ignore-preflight-errors=Port-8443`` then matches it as it would in kubeadm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from kubeadm_verify.checks import Check, Registry
from nodechecks.context import NodeContext

REGISTRY: Registry[NodeContext] = Registry("node")
RUN_IDS: dict[str, Callable[[NodeContext], str]] = {
    "Port-6443": lambda ctx: f"Port-{ctx.bind_port}",
}


def for_run(check: Check[NodeContext], ctx: NodeContext) -> Check[NodeContext]:
    """The check under the id it carries in this run (only ``Port-<bindPort>`` changes)."""
    rename = RUN_IDS.get(check.id)
    if rename is None:
        return check
    return dataclasses.replace(check, id=rename(ctx))
