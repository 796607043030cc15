"""Network checks inside real network namespaces: no default route, forwarding off, a listener.

Each test makes its own namespaces and veth pair with names unique to the run, and deletes them
in ``finally``; the listener is a process we started and stop by its pid.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("ip") is None,
        reason="network namespaces need root and iproute2",
    ),
]
REPO = Path(__file__).resolve().parents[3]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def in_ns(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        cwd=REPO,
    )


@contextmanager
def namespace(default_route: bool, forwarding: bool) -> Iterator[str]:
    """A namespace with a veth link to the host side, optionally a default route through it."""
    tag = secrets.token_hex(3)
    ns, host_end, ns_end = f"kvtest-{os.getpid()}-{tag}", f"kvh{tag}", f"kvn{tag}"
    created = False
    try:
        ip("netns", "add", ns)
        created = True
        ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        ip("link", "set", ns_end, "netns", ns)
        ip("addr", "add", "192.0.2.201/30", "dev", host_end)  # TEST-NET-1: never routed
        ip("link", "set", host_end, "up")
        in_ns(ns, "ip", "link", "set", "lo", "up")
        in_ns(ns, "ip", "addr", "add", "192.0.2.202/30", "dev", ns_end)
        in_ns(ns, "ip", "link", "set", ns_end, "up")
        if default_route:
            in_ns(ns, "ip", "route", "add", "default", "via", "192.0.2.201")
        in_ns(ns, "sysctl", "-w", f"net.ipv4.ip_forward={1 if forwarding else 0}")
        yield ns
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, check=False)
        if created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


@contextmanager
def listener(ns: str, port: int) -> Iterator[None]:
    code = (
        "import socket,sys,time\ns=socket.socket(socket.AF_INET6)\n"
        "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
        f"s.bind(('::',{port}))\ns.listen()\nprint('up',flush=True)\ntime.sleep(120)\n"
    )
    process = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "up"
        yield
    finally:
        process.kill()  # the pid we started; ip netns exec execs python in place
        process.wait(timeout=10)


def node_report(ns: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    done = in_ns(
        ns,
        sys.executable,
        "-m",
        "kubeadm_verify",
        "node",
        "--format",
        "json",
        "--output-dir",
        str(tmp_path),
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return {check["id"]: check for check in json.loads(done.stdout)["checks"]}


def test_namespace_without_default_route_and_forwarding(tmp_path: Path) -> None:
    with namespace(default_route=False, forwarding=False) as ns:
        checks = node_report(ns, tmp_path)
    assert checks["DefaultRoute"]["status"] == "fail"
    assert checks["DefaultRoute"]["message"].startswith("no default route")
    forward = checks["FileContent--proc-sys-net-ipv4-ip_forward"]
    assert (forward["status"], forward["message"]) == (
        "fail",
        "/proc/sys/net/ipv4/ip_forward contents are not set to 1",
    )
    assert checks["Port-6443"]["status"] == "pass"  # the host's listeners are not in here


def test_namespace_with_route_forwarding_and_a_listener(tmp_path: Path) -> None:
    with namespace(default_route=True, forwarding=True) as ns, listener(ns, 6443):
        checks = node_report(ns, tmp_path)
    assert checks["DefaultRoute"]["status"] == "pass"
    assert "dev kvn" in checks["DefaultRoute"]["details"]["routes"][0]
    assert checks["FileContent--proc-sys-net-ipv4-ip_forward"]["status"] == "pass"
    port = checks["Port-6443"]
    assert (port["status"], port["message"]) == ("fail", "Port 6443 is in use")
    assert port["details"]["listeners"] == ["[::]:6443"]
    assert checks["Port-10250"]["status"] == "pass"


def test_namespaces_are_gone_afterwards() -> None:
    time.sleep(0.1)
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert f"kvtest-{os.getpid()}-" not in listed
