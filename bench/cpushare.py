"""Where a run's CPU time goes on this machine: the machine's busy share over it, and the CPU
seconds of each part of a local cluster (its control-plane processes, each node's kubelet and
containerd, each node's cgroup with its pods) and of the tool's own process tree.

Read from ``/proc/stat``, ``/proc/<pid>/stat`` and the nodes' ``cpuacct`` (cgroup v1) or
``cpu.stat`` (v2) groups, before and after; the tool's tree is what its reaped processes used
(``RUSAGE_CHILDREN``). A two-core machine that is busy most of a run is bound by its cores: more
parallelism then only moves the queue.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

COMPONENTS = (
    "kube-apiserver",
    "etcd",
    "kube-controller",
    "kube-scheduler",
    "kubelet",
    "containerd",
)
"""Process names as ``/proc/<pid>/stat`` gives them (cut at 15 characters)."""
CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup"))
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    total: int
    idle: int
    parts: dict[str, float]
    tool: float


def _machine() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle and iowait


def _processes() -> dict[str, float]:
    seconds: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name in COMPONENTS and not _in_node_group(entry):
            fields = text[text.rindex(")") + 2 :].split()
            key = f"{name} ({entry.name})"
            seconds[key] = (int(fields[11]) + int(fields[12])) / _TICK
    return seconds


def _in_node_group(process: Path) -> bool:
    """Whether the process runs in a node's cgroup (a node's containerd), counted there."""
    try:
        groups = (process / "cgroup").read_text()
    except OSError:
        return False
    return any(
        line.split(":", 2)[2].startswith("/kvn-")
        for line in groups.splitlines()
        if line.count(":") >= 2 and ("cpuacct" in line.split(":")[1] or line.startswith("0::"))
    )


def _node_groups() -> dict[str, float]:
    seconds: dict[str, float] = {}
    for root in CGROUP_ROOTS:
        for group in sorted(root.glob("kvn-*")):
            v1, v2 = group / "cpuacct.usage", group / "cpu.stat"
            if v1.is_file():
                seconds[f"cgroup {group.name}"] = int(v1.read_text()) / 1e9
            elif v2.is_file():
                usage = dict(line.split() for line in v2.read_text().splitlines())
                seconds[f"cgroup {group.name}"] = int(usage["usage_usec"]) / 1e6
        if seconds:
            break
    return seconds


def sample() -> Sample:
    total, idle = _machine()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(
        total, idle, {**_processes(), **_node_groups()}, children.ru_utime + children.ru_stime
    )


def report(before: Sample, after: Sample) -> list[str]:
    """Lines: the machine's busy share, then CPU seconds by part, largest first."""
    ticks = after.total - before.total
    busy = (ticks - (after.idle - before.idle)) / _TICK
    share = busy / (ticks / _TICK) if ticks else 0.0
    lines = [
        f"machine busy {share:.0%} of {os.cpu_count()} CPUs: {busy:.0f} CPU-s "
        "(the tool's own tree, each component, each node's cgroup below)"
    ]
    parts = {"the tool (its workers, kubectl)": after.tool - before.tool}
    for key, value in after.parts.items():
        name = key.split(" (")[0] if not key.startswith("cgroup ") else "node cgroups (pods)"
        parts[name] = parts.get(name, 0.0) + value - before.parts.get(key, value)
    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        lines.append(f"    {seconds:6.1f} CPU-s {name}")
    return lines
