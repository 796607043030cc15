"""The kubectl binary of the pinned release, run against the cluster under test.

For the few promises that are kubectl's own (its flags, what it makes of the API's answers):
the binary comes from this tool's cache of the release (``kubeadm-verify binaries``, or any
``up``), never from ``$PATH``, so the kubectl judged is the release's. Its arguments are a list
(no shell), the kubeconfig a file, so no credential appears on a command line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bootstrap.upstream.versions import bin_dir
from kubeadm_verify.pins import KUBERNETES_VERSION

RUN_S = 20.0
"""One kubectl call: a request or two to the API server, each well under this."""
OUTPUT_CHARS = 300


def kubectl_path() -> Path:
    """The release's kubectl; fail, naming where it was looked for, when it is not there."""
    path = bin_dir(KUBERNETES_VERSION) / "kubectl"
    assert path.is_file(), (
        f"kubectl {KUBERNETES_VERSION} is not at {path}: fetch the release's binaries "
        "(kubeadm-verify binaries) so the kubectl specs can be judged"
    )
    return path


def kubectl(cluster: Any, *args: str) -> str:
    """``kubectl args...`` against ``cluster`` (a handle with ``kubeconfig`` and ``context``);
    its stdout, or a failure saying how it ended."""
    command = [str(kubectl_path()), f"--kubeconfig={cluster.kubeconfig}"]
    if cluster.context:
        command.append(f"--context={cluster.context}")
    done = subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=RUN_S, check=False
    )
    assert done.returncode == 0, (
        f"kubectl {args[0]} exited {done.returncode}: {done.stderr.strip()[:OUTPUT_CHARS]}"
    )
    return done.stdout
