"""What every node check is given: the host, the role and versions it is judged against.

Facts several checks need (the kernel release, the cgroup version) are read once per run and
kept on the context, so a run reads each file at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from nodechecks.host import Host

DEFAULT_KUBERNETES_VERSION = "v1.37.2"


@dataclass
class NodeContext:
    host: Host
    role: str = "control-plane"
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    ignored: frozenset[str] = frozenset()
    pull_images: bool = False
    bind_port: int = 6443
    service_subnet: str = "10.96.0.0/12"
    pod_subnet: str = ""
    advertise_address: str = ""
    node_name: str = ""
    facts: dict[str, object] = field(default_factory=dict)

    @cached_property
    def kernel_release(self) -> str:
        """The kernel release, from ``proc/sys/kernel/osrelease`` (also what ``uname -r`` says)."""
        return self.host.read_text("/proc/sys/kernel/osrelease").strip()
