"""What kubeadm's systemd unit and drop-in do for the kubelet, on a node without systemd.

kubeadm never starts the kubelet itself: its ``kubelet-start`` phase writes
``/var/lib/kubelet/config.yaml`` and ``/var/lib/kubelet/kubeadm-flags.env`` and asks systemd to
restart ``kubelet.service``, whose drop-in (``10-kubeadm.conf``) runs::

    kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\
            --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml \\
            $KUBELET_KUBEADM_ARGS

with ``Restart=always``. Here that unit is this program, started inside the node's namespaces
before kubeadm runs (kubeadm's systemd call fails with a warning and it goes on, as its own
code allows): it waits for both files, runs the kubelet with the drop-in's arguments, and starts
it again a moment after it exits, until it is itself stopped (SIGTERM: the kubelet is stopped
first). Standard library only: it runs as its own process.
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


class Unit:
    """One kubelet at a time, restarted until ``stop``."""

    def __init__(self, kubelet: str) -> None:
        self.kubelet = kubelet
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def run(self) -> int:
        while not self.stopping:
            if not (CONFIG.is_file() and FLAGS_ENV.is_file()):
                time.sleep(POLL_S)
                continue
            argv = kubelet_argv(self.kubelet, FLAGS_ENV.read_text())
            print(f"[kubelet-unit] starting {shlex.join(argv)}", flush=True)
            self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
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


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not os.path.isabs(argv[0]):
        print("usage: kubeletunit /path/to/kubelet", file=sys.stderr)
        return 2
    unit = Unit(argv[0])
    signal.signal(signal.SIGTERM, unit.stop)
    signal.signal(signal.SIGINT, unit.stop)
    return unit.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
