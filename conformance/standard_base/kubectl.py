"""The kubectl binary, run against the cluster under test, for upstream's kubectl specs.

Which kubectl: the one this tool builds for its pinned release (``kubeadm-verify binaries``), whose
version matches what the suite was written against, else the first ``kubectl`` on ``PATH``. When
there is none, a kubectl test cannot look: it says so as a warning (never a pass, never a skip,
since a missing binary says nothing about the cluster).

Every run is an argv list (never a shell string), bounded in time, and what a failure repeats of
its output is bounded too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bootstrap.upstream.versions import bin_dir
from kubeadm_verify.pins import KUBERNETES_VERSION

RUN_TIMEOUT_S = 15.0  # a request or a few on a loaded machine; the test's timeout bounds the whole
OUTPUT_CHARS = 300
NOT_FOUND = (
    "not judged: no kubectl binary (neither this tool's build for "
    f"{KUBERNETES_VERSION}, `kubeadm-verify binaries`, nor one on PATH)"
)


def find_kubectl() -> Path | None:
    """The pinned release's kubectl when it has been built, else the one on ``PATH``."""
    pinned = bin_dir(KUBERNETES_VERSION) / "kubectl"
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return pinned
    found = shutil.which("kubectl")
    return Path(found) if found else None


def bounded(text: str) -> str:
    """One line of at most :data:`OUTPUT_CHARS`, for a failure message."""
    line = " ".join(text.split())
    return line if len(line) <= OUTPUT_CHARS else line[: OUTPUT_CHARS - 3] + "..."


@dataclass(frozen=True)
class Kubectl:
    """kubectl pointed at one kubeconfig (and context), in one namespace."""

    binary: Path
    kubeconfig: Path
    context: str | None
    namespace: str

    def argv(self, *args: str) -> list[str]:
        head = [str(self.binary), "--kubeconfig", str(self.kubeconfig)]
        if self.context:
            head += ["--context", self.context]
        return [*head, "--namespace", self.namespace, *args]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """The standard output of a run that must succeed."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, (
            f"kubectl {args[0]} exited {done.returncode}: {bounded(done.stderr)}"
        )
        return done.stdout
