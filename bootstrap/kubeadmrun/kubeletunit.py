"""What kubeadm's systemd unit and drop-in do for the kubelet, on a node without systemd.

kubeadm never starts the kubelet itself: its ``kubelet-start`` phase writes
``/var/lib/kubelet/config.yaml`` and ``/var/lib/kubelet/kubeadm-flags.env`` and asks systemd to
restart ``kubelet.service``, whose drop-in (``10-kubeadm.conf``) runs::

    kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\
            --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml \\
            $KUBELET_KUBEADM_ARGS

with ``Restart=always``. Here that unit is this program, started before kubeadm runs (kubeadm's
systemd call fails with a warning and it goes on, as its own code allows): it waits for both
files, runs the kubelet inside the node with the drop-in's arguments, and starts it again a
moment after it exits, until it is itself stopped (SIGTERM: the kubelet is stopped first).

It runs on the host's side, as systemd would outside the node: it reads the node's files where
the host sees them (``ROOT/var/upper/...``) and enters the node (``nsenter`` into the holder's
namespaces) only to run the kubelet, so it needs nothing of the node's view (this package may
be in a /tmp the node does not see). Standard library only: it runs as its own process.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

CONFIG = Path("/var/lib/kubelet/config.yaml")
FLAGS_ENV = Path("/var/lib/kubelet/kubeadm-flags.env")
VAR_UPPER = Path("var/upper")
"""Where, below a node's root, the host sees what the node wrote to its /var."""
FLAGS_VARIABLE = "KUBELET_KUBEADM_ARGS"
DROP_IN_FLAGS = (
    "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
    f"--config={CONFIG}",
)
RESTART_S = 1.0
"""systemd's drop-in waits 10 s (``RestartSec``); a test cluster need not."""
POLL_S = 0.1
STOP_TIMEOUT_S = 10.0


def kubeadm_flags(text: str) -> list[str]:
    """The kubelet flags of a ``kubeadm-flags.env`` (``KUBELET_KUBEADM_ARGS="--a=b --c=d"``),
    split as systemd splits an unquoted ``$VARIABLE``."""
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name == FLAGS_VARIABLE:
            return shlex.split(value.strip().strip('"'))
    return []


def kubelet_argv(kubelet: str, flags_text: str) -> list[str]:
    return [kubelet, *DROP_IN_FLAGS, *kubeadm_flags(flags_text)]


def host_view(root: Path, path: Path) -> Path:
    """The host's view of the node's ``/var/...`` file ``path``."""
    return root / VAR_UPPER / path.relative_to("/var")


class Unit:
    """One kubelet at a time, restarted until ``stop``."""

    def __init__(self, kubelet: str, enter: list[str], root: Path) -> None:
        self.kubelet, self.enter = kubelet, enter
        self.config, self.flags = host_view(root, CONFIG), host_view(root, FLAGS_ENV)
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def run(self) -> int:
        while not self.stopping:
            if not (self.config.is_file() and self.flags.is_file()):
                time.sleep(POLL_S)
                continue
            argv = kubelet_argv(self.kubelet, self.flags.read_text())
            print(f"[kubelet-unit] starting {shlex.join(argv)}", flush=True)
            self.child = subprocess.Popen([*self.enter, *argv], stdin=subprocess.DEVNULL)
            code = self._wait()
            print(f"[kubelet-unit] kubelet exited with {code}", flush=True)
            if not self.stopping:
                time.sleep(RESTART_S)
        return 0

    def _wait(self) -> int:
        assert self.child is not None
        while True:
            try:
                return self.child.wait(timeout=STOP_TIMEOUT_S if self.stopping else None)
            except subprocess.TimeoutExpired:
                self.child.kill()


def enter_argv(nsenter: str, holder: str) -> list[str]:
    return [nsenter, "-t", holder, "--net", "--mount", "--uts", "--"]


def main(argv: list[str]) -> int:
    if len(argv) != 4 or not all(os.path.isabs(a) for a in (argv[0], argv[1], argv[3])):
        print(
            "usage: kubeletunit /path/to/kubelet /path/to/nsenter HOLDER_PID ROOT", file=sys.stderr
        )
        return 2
    kubelet, nsenter, holder, root = argv
    unit = Unit(kubelet, enter_argv(nsenter, holder), Path(root))
    signal.signal(signal.SIGTERM, unit.stop)
    signal.signal(signal.SIGINT, unit.stop)
    return unit.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
