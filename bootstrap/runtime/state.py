"""A cluster's state dir: laid out like a node's ``/etc/kubernetes``, plus what we started.

::

    <state>/               0700
      admin.conf super-admin.conf kubelet.conf controller-manager.conf scheduler.conf
      pki/                 as /etc/kubernetes/pki (keys 0600)
      manifests/           the static-Pod manifests whose commands the supervisor runs
      etcd/                etcd's data dir (kubeadm: /var/lib/etcd)
      logs/<component>.log stdout and stderr of every process we started
      tmp/                 credentials for our own API calls (kubeadm: /etc/kubernetes/tmp)
      kwok/                the simulated nodes' controller configuration
      cluster.json         what was resolved once and must stay (ports, token, bin dir)
      processes.json       pid, start time and boot id of every process we started
      .kubeadm-verify-state  the marker written when the dir is created: ``up`` and ``down``
                           delete only a dir that carries it, never one that merely looks like ours

The two JSON records are rewritten whole (temporary file + rename) under an ``fcntl`` lock, so a
reader never sees half a record and two commands on one cluster do not lose each other's writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bootstrap.upstream.versions import cache_root
from kubeadm_verify.errors import UsageError

PRIVATE_DIR = 0o700
CLUSTER_RECORD = "cluster.json"
PROCESS_RECORD = "processes.json"
MARKER = ".kubeadm-verify-state"
MARKER_TEXT = "kubeadm-verify state dir: created by `kubeadm-verify up`, removed by `down`\n"
_IGNORABLE = {".lock"}
_NAME = re.compile(r"\A[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?\Z")


def clusters_root() -> Path:
    """Where named clusters live by default: ``<cache>/clusters``."""
    return cache_root() / "clusters"


def check_name(name: str) -> str:
    """A cluster name becomes a directory name: lower-case letters, digits, ``-_.`` only."""
    if _NAME.match(name) is None:
        raise UsageError(
            f"cluster name {name!r}: use 1-63 lower-case letters, digits, '-', '_' or '.'"
        )
    return name


def default_state_dir(name: str) -> Path:
    return clusters_root() / check_name(name)


SUFFIX_BUDGET = 120
"""Room for the longest file the bootstrap writes inside a state dir (``pki/etcd/...``, logs)."""
PATH_MAX = 4096
NAME_MAX = 255


def check_root(root: Path, flag: str | None) -> Path:
    """Refuse, naming ``flag`` (``--state-dir``) or where the default came from, a state dir
    the file system cannot hold our files in. It holds no socket (a cluster's sockets live in
    its short runtime dir, see ``nodes.layout``), so only the path and file-name limits apply."""
    text = str(root)
    problem = None
    if len(text.encode()) + SUFFIX_BUDGET >= PATH_MAX:
        most = PATH_MAX - SUFFIX_BUDGET - 1
        problem = f"{len(text)} characters; at most {most}, to leave room for the files inside it"
    elif any(len(part.encode()) > NAME_MAX for part in root.parts):
        problem = f"a name in it is longer than the {NAME_MAX} bytes a file name may have"
    if problem is not None:
        where = flag or "the state dir (under $XDG_CACHE_HOME or ~/.cache)"
        raise UsageError(f"{where} {text[:80]}{'...' if len(text) > 80 else ''}: {problem}")
    return root


@dataclass(frozen=True)
class ProcessRecord:
    """One process we started: enough to find exactly it again, and nothing that shares its pid.

    ``start_ticks`` is field 22 of ``/proc/<pid>/stat`` (clock ticks after boot) and ``boot_id``
    the kernel's boot id: together with the pid they name one process for the life of the machine.
    """

    component: str
    pid: int
    start_ticks: int
    boot_id: str
    argv: tuple[str, ...]
    log: str
    fingerprint: str = ""
    """Hash of the manifest command it runs; a changed manifest means restart, as the kubelet."""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["argv"] = list(self.argv)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessRecord:
        return cls(
            component=str(data["component"]),
            pid=int(data["pid"]),
            start_ticks=int(data["start_ticks"]),
            boot_id=str(data["boot_id"]),
            argv=tuple(str(arg) for arg in data["argv"]),
            log=str(data["log"]),
            fingerprint=str(data.get("fingerprint", "")),
        )


@dataclass(frozen=True)
class ClusterRecord:
    """What ``up`` resolved once and must stay for the life of the cluster (``cluster.json``).

    Every field is empty until recorded: a record with no ``ports`` is a dir whose cluster was
    never resolved (``recorded``). Read from JSON field by field with its type checked, so a
    damaged record is refused in one line rather than misread later.
    """

    name: str = ""
    version: str = ""
    ports: Mapping[str, int] = field(default_factory=dict)
    """kubeadm's port fields (``bind_port``, ``etcd_client``, ...) as chosen, free ones included."""
    tokens: tuple[str, ...] = ()
    """Every bootstrap token's value, in the configuration's order (a secret: never logged)."""
    advertise_address: str = ""
    node_name: str = ""
    cluster_name: str = ""
    bin_dir: str = ""

    @property
    def recorded(self) -> bool:
        return bool(self.ports)

    @property
    def bind_port(self) -> int:
        return int(self.ports.get("bind_port", 6443))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ports"], data["tokens"] = dict(self.ports), list(self.tokens)
        return {key: value for key, value in data.items() if value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: Path) -> ClusterRecord:
        def bad(key: str) -> UsageError:
            return UsageError(f"unreadable state record {where}: {key!r} has the wrong type")

        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            if item.name == "ports":
                if not isinstance(value, dict) or not all(
                    isinstance(port, int) and not isinstance(port, bool) for port in value.values()
                ):
                    raise bad(item.name)
                values[item.name] = {str(key): port for key, port in value.items()}
            elif item.name == "tokens":
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    raise bad(item.name)
                values[item.name] = tuple(value)
            elif isinstance(value, str):
                values[item.name] = value
            else:
                raise bad(item.name)
        return cls(**values)


@dataclass(frozen=True)
class StateDir:
    """Paths inside one cluster's state dir; creating it is explicit (``create``)."""

    root: Path
    name: str = field(default="")

    @classmethod
    def for_cluster(cls, name: str, state_dir: str | Path | None = None) -> StateDir:
        root = Path(state_dir) if state_dir else default_state_dir(name)
        return cls(
            check_root(root.absolute(), "--state-dir" if state_dir else None), check_name(name)
        )

    # the /etc/kubernetes layout -------------------------------------------------------------
    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def kwok(self) -> Path:
        return self.root / "kwok"

    def kubeconfig(self, name: str) -> Path:
        """``admin`` → ``admin.conf``, as kubeadm names its kubeconfig files."""
        return self.root / f"{name}.conf"

    @property
    def admin_conf(self) -> Path:
        return self.kubeconfig("admin")

    def manifest(self, component: str) -> Path:
        return self.manifests / f"{component}.yaml"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    # lifecycle ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.root.is_dir()

    def is_ours(self) -> bool:
        """Whether the dir carries the marker written when we created it (a regular file)."""
        marker = self.root / MARKER
        try:
            return (
                marker.is_file()
                and not marker.is_symlink()
                and marker.read_text(encoding="utf-8") == MARKER_TEXT
            )
        except (OSError, UnicodeDecodeError):
            return False

    def is_empty(self) -> bool:
        return not any(entry.name not in _IGNORABLE for entry in self.root.iterdir())

    def create(self) -> None:
        """The dir and its subdirs, owner-only: it holds every key of the cluster.

        A dir that exists with content but without our marker is someone else's: refused.
        """
        if self.exists() and not self.is_ours() and not self.is_empty():
            raise UsageError(
                f"{self.root} exists and is not a kubeadm-verify state dir "
                f"(no {MARKER}); not using it"
            )
        self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.root, PRIVATE_DIR)
        if not self.is_ours():
            (self.root / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        for sub in (self.pki, self.manifests, self.etcd_data, self.logs, self.tmp):
            sub.mkdir(mode=PRIVATE_DIR, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise writers of the records (``up``, ``phase`` and ``down`` on one cluster)."""
        self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # records --------------------------------------------------------------------------------
    def read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.root / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise UsageError(f"unreadable state record {self.root / name}: {error}") from error
        return data if isinstance(data, dict) else {}

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, self.root / name)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def cluster_record(self) -> ClusterRecord:
        return ClusterRecord.from_dict(self.read_json(CLUSTER_RECORD), self.root / CLUSTER_RECORD)

    def update_cluster_record(self, **values: Any) -> ClusterRecord:
        """The record with ``values`` changed (a name that is no field of it is a TypeError)."""
        with self.locked():
            record = replace(self.cluster_record(), **values)
            self.write_json(CLUSTER_RECORD, record.as_dict())
            return record

    def processes(self) -> list[ProcessRecord]:
        entries = self.read_json(PROCESS_RECORD).get("processes", [])
        return [ProcessRecord.from_dict(entry) for entry in entries]

    def add_process(self, record: ProcessRecord) -> None:
        """Record a started process; an older record of the same component is replaced."""
        with self.locked():
            kept = [p for p in self.processes() if p.component != record.component]
            self._write_processes([*kept, record])

    def forget_processes(self, pids: set[int]) -> None:
        with self.locked():
            self._write_processes([p for p in self.processes() if p.pid not in pids])

    def _write_processes(self, records: list[ProcessRecord]) -> None:
        self.write_json(PROCESS_RECORD, {"processes": [r.as_dict() for r in records]})


__all__ = [
    "MARKER",
    "ClusterRecord",
    "ProcessRecord",
    "StateDir",
    "check_name",
    "clusters_root",
    "default_state_dir",
]
