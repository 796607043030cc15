"""The node tier's CRI-facing checks against real containerds: 2.2.9, which answers CRI
``RuntimeConfig``, and Debian's 1.6, which does not.

Each containerd runs as our own process with its root, state and socket inside a private temp
dir (CRI plugin on, ``SystemdCgroup = false``, NRI and CDI off so no host-wide socket or spec
dir is touched), and ``kubeadm-verify node`` is run against it through
``nodeRegistration.criSocket``. Afterwards the containerd and any shim it started are killed by
pid, anything mounted under the temp dir is unmounted, and the dir is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.upstream.nodeparts import ensure_node_parts

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
RUNC = "/usr/sbin/runc"
START_TIMEOUT = 30.0
KUBEADM_NO_RUNTIME_CONFIG = (
    "You must update your container runtime to a version that supports the CRI method "
    "RuntimeConfig. Falling back to using cgroupDriver from kubelet config will be removed in "
    "1.38."
)
"""kubeadm v1.37.2's ContainerRuntimeVersionCheck: a warning, not an error (preflight/checks.go)."""


@dataclass(frozen=True)
class Runtime:
    """A containerd we started: its pid, socket and private dir."""

    pid: int
    socket: Path
    home: Path


def _config_v3(home: Path) -> str:
    """containerd 2.x config (version 3)."""
    cri = "plugins.'io.containerd.cri.v1.runtime'"
    return "\n".join(
        [
            "version = 3",
            f'root = "{home}/root"',
            f'state = "{home}/state"',
            f'temp = "{home}/tmp"',
            "[grpc]",
            f'  address = "{home}/c.sock"',
            f"[{cri}]",
            "  enable_cdi = false",
            f"[{cri}.containerd.runtimes.runc]",
            '  runtime_type = "io.containerd.runc.v2"',
            f"[{cri}.containerd.runtimes.runc.options]",
            f'  BinaryName = "{RUNC}"',
            f'  Root = "{home}/runc"',
            "  SystemdCgroup = false",
            "[plugins.'io.containerd.internal.v1.opt']",
            f'  path = "{home}/opt"',
            "[plugins.'io.containerd.image-verifier.v1.bindir']",
            f'  bin_dir = "{home}/verifiers"',
            "[plugins.'io.containerd.nri.v1.nri']",
            "  disable = true",
            "",
        ]
    )


def _config_v2(home: Path) -> str:
    """containerd 1.6 config (version 2)."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return "\n".join(
        [
            "version = 2",
            f'root = "{home}/root"',
            f'state = "{home}/state"',
            "[grpc]",
            f'  address = "{home}/c.sock"',
            f"[{cri}.containerd.runtimes.runc]",
            '  runtime_type = "io.containerd.runc.v2"',
            f"[{cri}.containerd.runtimes.runc.options]",
            f'  BinaryName = "{RUNC}"',
            f'  Root = "{home}/runc"',
            "  SystemdCgroup = false",
            '[plugins."io.containerd.internal.v1.opt"]',
            f'  path = "{home}/opt"',
            "",
        ]
    )


def _pids_using(home: Path) -> list[int]:
    """Processes whose command line names our dir: the containerd and any shim it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(home).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _mounts_under(home: Path) -> list[str]:
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle]
    return sorted((p for p in points if p.startswith(f"{home}/")), key=len, reverse=True)


def _clean(proc: subprocess.Popen[bytes], home: Path) -> None:
    """Kill our containerd and its shims by pid, unmount what they left, remove the dir."""
    for pid in {proc.pid, *_pids_using(home)}:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for point in _mounts_under(home):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    leftovers = _mounts_under(home)
    subprocess.run(["rm", "-rf", "--one-file-system", str(home)], check=False)
    assert not leftovers, f"mounts left under {home}: {leftovers}"
    assert not home.exists(), f"{home} not removed"


@contextlib.contextmanager
def running(containerd: Path, render: Callable[[Path], str], path_first: Path) -> Iterator[Runtime]:
    """containerd with ``path_first`` ahead on PATH (so it starts its own shim), until the end."""
    home = Path(tempfile.mkdtemp(prefix="kvcri-", dir="/tmp"))
    (home / "config.toml").write_text(render(home))
    env = dict(
        os.environ,
        PATH=os.pathsep.join([str(path_first), "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
    )
    with open(home / "containerd.log", "wb") as log:
        proc = subprocess.Popen(
            [str(containerd), "--config", str(home / "config.toml")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        socket = home / "c.sock"
        deadline = time.monotonic() + START_TIMEOUT
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (home / "containerd.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"{containerd} did not start: {tail}")
            time.sleep(0.1)
        yield Runtime(proc.pid, socket, home)
    finally:
        _clean(proc, home)


def run_node(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """``kubeadm-verify node`` against the runtime's socket; the checks by id."""
    config = runtime.home / "kubeadm.yaml"
    config.write_text(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
        f"nodeRegistration:\n  criSocket: unix://{runtime.socket}\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "node",
            "--format",
            "json",
            "--config",
            str(config),
            "--output-dir",
            str(runtime.home / "reports"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    return {check["id"]: check for check in json.loads(done.stdout)["checks"]}


def host_knows_a_runtime_config() -> bool:
    """Whether CgroupDriver could read a runtime's driver from host files instead of CRI."""
    return any(
        Path(p).exists()
        for p in ("/etc/containerd/config.toml", "/etc/crio/crio.conf", "/etc/crio/crio.conf.d")
    ) or any(
        (Path(d) / "containerd").exists() for d in os.environ.get("PATH", "").split(os.pathsep)
    )


def test_containerd_2_has_runtime_config() -> None:
    parts = ensure_node_parts()
    with running(parts.part("containerd"), _config_v3, parts.built) as runtime:
        checks = run_node(runtime)
        endpoint = f"unix://{runtime.socket}"
        cri, version, driver = (
            checks["CRI"],
            checks["ContainerRuntimeVersion"],
            checks["CgroupDriver"],
        )
        assert cri["status"] == "pass", cri
        assert cri["message"] == f"{endpoint} is ready"
        assert cri["details"]["version"].startswith("v2.2.9"), cri
        assert version["status"] == "pass", version
        assert version["message"] == (
            "the runtime implements RuntimeConfig (cgroup driver cgroupfs)"
        )
        assert driver["status"] == "pass", driver
        assert driver["message"] == (
            "the kubelet takes the cgroup driver (cgroupfs) from the runtime over CRI"
        )
        assert driver["details"]["runtime_source"] == f"CRI RuntimeConfig ({endpoint})"


def test_debian_containerd_1_6_has_no_runtime_config(debian_containerd_bin: Path) -> None:
    binary = debian_containerd_bin / "containerd"
    with running(binary, _config_v2, debian_containerd_bin) as runtime:
        checks = run_node(runtime)
        cri, version, driver = (
            checks["CRI"],
            checks["ContainerRuntimeVersion"],
            checks["CgroupDriver"],
        )
        assert cri["status"] == "pass", cri
        assert cri["details"]["version"].startswith("1.6."), cri
        assert version["status"] == "warn", version
        assert version["message"].startswith(KUBEADM_NO_RUNTIME_CONFIG), version
        assert "CRI RuntimeConfig" not in driver["details"]["runtime_source"], driver
        if not host_knows_a_runtime_config():
            assert driver["status"] == "warn", driver
            assert driver["message"] == (
                "cannot determine the container runtime's cgroup driver: no runtime config found"
            )
