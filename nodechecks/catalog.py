"""The node tier's registry. Check modules declare into it when ``nodechecks.checks`` is imported.

One id depends on the configuration: kubeadm names the API server's port check after its
``bindPort`` (``Port-6443`` by default, ``Port-8443`` under minikube). Registration reads no
configuration, so the check is declared as ``Port-6443`` and renamed for a run by ``for_run``;
``--ignore-preflight-errors=Port-8443`` then matches it as it would in kubeadm.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeadm_verify.checks import Check, Finding, Registry, unknown
from kubeadm_verify.record import replace
from nodechecks.context import NodeContext
from nodechecks.host import HostPathError, UnreadableHostFile

REGISTRY: Registry[NodeContext] = Registry("node")
RUN_IDS: dict[str, Callable[[NodeContext], str]] = {
    "Port-6443": lambda ctx: f"Port-{ctx.bind_port}",
}


def for_run(check: Check[NodeContext], ctx: NodeContext) -> Check[NodeContext]:
    """The check as it runs: under the id it carries in this run (only ``Port-<bindPort>``
    changes), and with host files it may not read reported as "cannot determine"."""
    rename = RUN_IDS.get(check.id)
    check_id = check.id if rename is None else rename(ctx)
    return replace(check, id=check_id, func=_guarded(check.func))


def _guarded(func: Callable[[NodeContext], Finding]) -> Callable[[NodeContext], Finding]:
    """A FIFO, a device, an oversized file or a link loop where a host file should be: the
    check could not look, so it warns "cannot determine" (naming the path, never the content)."""

    def run(ctx: NodeContext) -> Finding:
        try:
            return func(ctx)
        except (UnreadableHostFile, HostPathError) as exc:
            return unknown(
                f"the answer: {exc}",
                "make the path a regular file (check the host root)",
                unreadable=str(exc),
            )

    return run
