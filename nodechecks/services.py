"""Init-system services read from unit files, so the same answer comes from a live host and a root.

kubeadm asks ``systemctl status/is-enabled/is-active``. Whether a unit exists and is enabled is
written in the file system (unit files, ``*.wants/`` links), which a mounted root can show too;
only whether it is *active* needs the live init system.
"""

from __future__ import annotations

import os

from nodechecks.host import Host

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from kubeadm_verify.typeshim import NamedTuple

UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)


class ServiceState(NamedTuple):
    init_system: str
    """``systemd``, ``openrc`` or ``""`` when neither is found (kubeadm then warns and skips)."""
    exists: bool
    enabled: bool
    masked: bool = False
    unit_path: str = ""
    enable_command: str = ""


def init_system(host: Host) -> str:
    """kubeadm's ``GetInitSystem``: systemd if ``systemctl`` is on PATH, else OpenRC."""
    if host.which("systemctl"):
        return "systemd"
    if host.which("openrc"):
        return "openrc"
    return ""


def service_state(host: Host, service: str) -> ServiceState:
    system = init_system(host)
    if system == "systemd":
        return _systemd_state(host, service)
    if system == "openrc":
        exists = host.exists(f"/etc/init.d/{service}")
        enabled = exists and _openrc_enabled(host, service)
        return ServiceState(
            system,
            exists,
            enabled,
            unit_path=f"/etc/init.d/{service}",
            enable_command=f"rc-update add {service} default",
        )
    return ServiceState("", False, False)


def _systemd_state(host: Host, service: str) -> ServiceState:
    unit = f"{service}.service"
    command = f"systemctl enable {unit}"
    for directory in UNIT_DIRS:
        path = f"{directory}/{unit}"
        if not os.path.lexists(_raw(host, path)):
            continue
        if _masked(host, path):
            return ServiceState("systemd", True, False, True, path, f"systemctl unmask {unit}")
        return ServiceState("systemd", True, _systemd_enabled(host, unit), False, path, command)
    return ServiceState("systemd", False, False, enable_command=command)


def _raw(host: Host, path: str) -> str:
    """The path below the root without resolving its last component (to see links as links)."""
    parent, _, name = path.rpartition("/")
    return os.path.join(host.path(parent or "/"), name)


def _masked(host: Host, path: str) -> bool:
    raw = _raw(host, path)
    return os.path.islink(raw) and os.readlink(raw) == "/dev/null"


def _systemd_enabled(host: Host, unit: str) -> bool:
    """Enabled: some target wants or requires it (a link in a ``*.wants``/``*.requires`` dir)."""
    for directory in ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"):
        try:
            entries = host.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".wants", ".requires")) and os.path.lexists(
                _raw(host, f"{directory}/{entry}/{unit}")
            ):
                return True
    return False


def _openrc_enabled(host: Host, service: str) -> bool:
    try:
        levels = host.listdir("/etc/runlevels")
    except OSError:
        return False
    return any(os.path.lexists(_raw(host, f"/etc/runlevels/{level}/{service}")) for level in levels)


def is_active(host: Host, service: str) -> bool | None:
    """Whether the service runs now; ``None`` when that cannot be seen (not the live host)."""
    if not host.is_live or init_system(host) != "systemd":
        return None
    import subprocess  # for its exception type, once a program is run

    try:
        output = host.run(["systemctl", "is-active", service]).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return output in ("active", "activating")
