"""``/proc`` and ``/sys`` text: memory, swap, CPUs, mounts, cgroups, kernel modules, sysctls."""

from __future__ import annotations

import re

from nodechecks.parsers import ParseError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from kubeadm_verify.typeshim import NamedTuple

# Patterns are compiled at their first use (``re`` keeps them): not every run reads every file.
_MEMINFO_LINE = r"^(\w[\w()]*):\s+(\d+)(?:\s+kB)?\s*$"


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` as a mapping of field to value (kB for the sized fields)."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.match(_MEMINFO_LINE, line.strip())
        if match is None:
            raise ParseError("meminfo", "a line is not `Name: number [kB]`")
        fields[match.group(1)] = int(match.group(2))
    if "MemTotal" not in fields:
        raise ParseError("meminfo", "no MemTotal line")
    return fields


def mem_total_mb(text: str) -> int:
    """Total RAM in MB as kubeadm computes it (``sysinfo`` totalram in bytes / 1024 / 1024).

    ``MemTotal`` is the page count ``sysinfo(2)`` reports, so kB // 1024 is kubeadm's figure.
    """
    return parse_meminfo(text)["MemTotal"] // 1024


class SwapEntry(NamedTuple):
    filename: str
    kind: str
    size_kb: int
    used_kb: int
    priority: int


def parse_swaps(text: str) -> list[SwapEntry]:
    """``/proc/swaps``: a header line, then one line per active swap area."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if not lines[0].startswith("Filename"):
        raise ParseError("swaps", "the first line is not the header")
    entries = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < 5:
            raise ParseError("swaps", "a line has fewer than 5 fields")
        try:
            size, used, priority = int(parts[2]), int(parts[3]), int(parts[4])
        except ValueError as exc:
            raise ParseError("swaps", "a size, used or priority field is not a number") from exc
        entries.append(SwapEntry(parts[0], parts[1], size, used, priority))
    return entries


_RANGE = r"^(\d+)(?:-(\d+))?$"


def parse_cpu_list(text: str) -> frozenset[int]:
    """A kernel CPU list such as ``0-3,6`` (``/sys/devices/system/cpu/online``)."""
    cpus: set[int] = set()
    value = text.strip()
    if not value:
        raise ParseError("cpu list", "empty")
    for item in value.split(","):
        match = re.match(_RANGE, item.strip())
        if match is None:
            raise ParseError("cpu list", "an item is not N or N-M")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ParseError("cpu list", "a range descends")
        cpus.update(range(first, last + 1))
    return frozenset(cpus)


_PROCESSOR = r"(?m)^processor\s*:?\s*\d+"


def count_cpuinfo(text: str) -> int:
    """The number of ``processor`` entries in ``/proc/cpuinfo``."""
    count = len(re.findall(_PROCESSOR, text))
    if count == 0:
        raise ParseError("cpuinfo", "no processor lines")
    return count


class Mount(NamedTuple):
    source: str
    mountpoint: str
    fstype: str


def _unescape(field: str) -> str:
    """Mount tables escape space, tab, newline and backslash as octal (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """``/proc/<pid>/mountinfo``: optional fields end at ``-``, then fstype and source."""
    mounts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        try:
            dash = fields.index("-", 6)
            mountpoint, fstype, source = fields[4], fields[dash + 1], fields[dash + 2]
        except (ValueError, IndexError) as exc:
            raise ParseError("mountinfo", "a line is not KEY=value") from exc
        mounts.append(Mount(_unescape(source), _unescape(mountpoint), fstype))
    if not mounts:
        raise ParseError("mountinfo", "no mounts")
    return mounts


def parse_mounts(text: str) -> list[Mount]:
    """``/proc/mounts`` (fstab format): source, mountpoint, fstype, options, dump, pass."""
    mounts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) < 4:
            raise ParseError("mounts", "a line is not KEY=value")
        mounts.append(Mount(_unescape(fields[0]), _unescape(fields[1]), fields[2]))
    if not mounts:
        raise ParseError("mounts", "no mounts")
    return mounts


def parse_proc_cgroups(text: str) -> list[str]:
    """The v1 controllers ``/proc/cgroups`` lists as enabled (column 4 not ``0``), as upstream."""
    enabled = []
    rows = 0
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 4 or not parts[3].isdigit():
            raise ParseError("cgroups", "a line is not KEY=value")
        rows += 1
        if parts[3] != "0":
            enabled.append(parts[0])
    if rows == 0 and text.strip() and not text.lstrip().startswith("#"):
        raise ParseError("cgroups", "no controller rows")
    return enabled


_CONTROLLER = r"^[a-z_][a-z0-9_]*$"


def parse_cgroup_controllers(text: str) -> list[str]:
    """``cgroup.controllers`` of a v2 hierarchy: controller names separated by spaces."""
    names = text.split()
    for name in names:
        if not re.match(_CONTROLLER, name):
            raise ParseError("cgroup.controllers", "a word is not a controller name")
    return names


def parse_proc_modules(text: str) -> frozenset[str]:
    """Loaded module names from ``/proc/modules``."""
    names = set()
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3 or not parts[1].isdigit():
            raise ParseError("modules", "a line is not KEY=value")
        names.add(parts[0])
    return frozenset(names)


def module_name(path: str) -> str:
    """``kernel/net/bridge/br_netfilter.ko.zst`` → ``br_netfilter`` (dashes read as underscores)."""
    base = path.strip().rsplit("/", 1)[-1]
    base = base.split(".ko", 1)[0]
    return base.replace("-", "_")


def parse_modules_builtin(text: str) -> frozenset[str]:
    """Module names from ``modules.builtin`` (one ``.ko`` path per line)."""
    names = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        if ".ko" not in line:
            raise ParseError("modules.builtin", "a line is not a .ko module path")
        names.add(module_name(line))
    return frozenset(names)


def parse_modules_dep(text: str) -> frozenset[str]:
    """Module names that ``modules.dep`` knows how to load (the part before each ``:``)."""
    names = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        head, sep, _ = line.partition(":")
        if not sep or ".ko" not in head:
            raise ParseError("modules.dep", "a line is not KEY=value")
        names.add(module_name(head))
    return frozenset(names)


def parse_filesystems(text: str) -> frozenset[str]:
    """File system types the kernel has registered (``/proc/filesystems``)."""
    return frozenset(line.split()[-1] for line in text.splitlines() if line.split())


def parse_sysctl_int(text: str, name: str = "sysctl") -> int:
    """A sysctl holding one integer, such as ``kernel.pid_max``."""
    value = text.strip()
    try:
        return int(value)
    except ValueError as exc:
        raise ParseError(name, "the value is not an integer") from exc
