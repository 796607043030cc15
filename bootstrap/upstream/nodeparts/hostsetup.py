"""Set a Debian host up for real nodes, as root: the missing packages and the inotify limit.

The test suite's own command does this before its first test, so a fresh Debian machine needs
no step by hand; it says in one line what it changed. apt-get runs bounded, with no shell and
no prompt; anything it cannot do (not root, not Debian, apt refusing) stops with one line that
names the packages, as ``find_host_tools`` does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.upstream.nodeparts.debian import missing_host_tools
from kubeadm_verify.errors import BootstrapError

APT_UPDATE_TIMEOUT_S = 300.0
APT_INSTALL_TIMEOUT_S = 900.0
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
INOTIFY_INSTANCES_MIN = 512
"""Each real node's kubelet and containerd hold inotify instances; Debian's default of 128 per
user runs out with a few real-node clusters on one host (kind documents the same)."""


@dataclass(frozen=True)
class HostSetup:
    """What ``set_up_host`` changed: packages installed, and the inotify limit before and after."""

    installed: tuple[str, ...]
    inotify: tuple[int, int] | None

    def line(self) -> str:
        done = []
        if self.installed:
            done.append(f"apt-get installed {' '.join(self.installed)}")
        if self.inotify:
            done.append("fs.inotify.max_user_instances {} -> {}".format(*self.inotify))
        return "host set-up: " + ("; ".join(done) if done else "nothing to do, all in place")


def missing_packages(extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The node tools' missing packages, then each ``(program, package)`` of ``extra`` whose
    program is not on PATH."""
    missing = missing_host_tools()
    missing += [
        package
        for program, package in extra
        if shutil.which(program) is None and package not in missing
    ]
    return missing


def _apt(argv: list[str], timeout: float) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BootstrapError(f"{' '.join(argv[:2])} did not finish within {timeout:.0f}s") from exc
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise BootstrapError(f"{' '.join(argv[:2])} failed (exit {done.returncode}): {said[:300]}")


def install_packages(packages: Sequence[str]) -> None:
    """``apt-get install`` them, after one ``apt-get update``; one line if that cannot be done."""
    wanted = " ".join(packages)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BootstrapError(
            "real nodes need Debian packages that are not installed, and this "
            f"is not root on a Debian host: apt-get install {wanted}"
        )
    _apt(["apt-get", "update", "-qq"], APT_UPDATE_TIMEOUT_S)
    with services_left_stopped():
        _apt(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            APT_INSTALL_TIMEOUT_S,
        )


POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
POLICY_DENY = "#!/bin/sh\n# written by kubeadm-verify while it installs packages\nexit 101\n"


@contextlib.contextmanager
def services_left_stopped() -> Iterator[None]:
    """Debian starts a package's service as it installs it (haproxy's, a daemon on this host
    for as long as it runs); ``policy-rc.d`` answering 101 tells ``invoke-rc.d`` not to, as
    Debian's container images do. One that is already there is the host's, and left alone."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text(POLICY_DENY, encoding="utf-8")
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


def raise_inotify_limit(path: Path = INOTIFY_INSTANCES) -> tuple[int, int] | None:
    """Raise the per-user inotify instances to the minimum; ``(before, after)`` when changed."""
    try:
        before = int(path.read_text().strip())
    except (OSError, ValueError):
        return None  # no such sysctl here: nothing to raise
    if before >= INOTIFY_INSTANCES_MIN:
        return None
    try:
        path.write_text(f"{INOTIFY_INSTANCES_MIN}\n")
    except OSError as exc:
        raise BootstrapError(
            f"cannot raise fs.inotify.max_user_instances from {before} to "
            f"{INOTIFY_INSTANCES_MIN}: {exc.strerror or exc}"
        ) from exc
    return before, INOTIFY_INSTANCES_MIN


def set_up_host(extra: Sequence[tuple[str, str]] = ()) -> HostSetup:
    """Install what real nodes (and ``extra``) need and raise the inotify limit."""
    missing = missing_packages(extra)
    if missing:
        install_packages(missing)
        still = missing_packages(extra)
        if still:
            raise BootstrapError(
                "apt-get install did not provide what the nodes need: " + " ".join(still)
            )
    return HostSetup(tuple(missing), raise_inotify_limit())
