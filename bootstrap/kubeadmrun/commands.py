"""Running a command inside a node: an argv list, a deadline, its output in a log, secrets out.

kubeadm prints what it was given in places (``init`` the join command with its token, unless
told not to; a failing discovery the endpoint and more): every output passes through
``redact`` (the secrets the caller knows, then the project's one scrubber) before it reaches a
log or an error message, whatever the command.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.redact import MASK, scrub

TAIL_LINES = 5


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return scrub(text)


def command_env(path_dirs: Sequence[Path]) -> dict[str, str]:
    """Our environment with a PATH that finds ``path_dirs`` first (kubeadm looks for the
    ``kubelet`` it checks on PATH)."""
    env = dict(os.environ)
    system = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    env["PATH"] = os.pathsep.join([*(str(d) for d in path_dirs), *system])
    return env


def run_logged(
    argv: Sequence[str],
    log: Path,
    timeout: float,
    *,
    what: str,
    secrets: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``argv`` to its end within ``timeout`` s (killed then); its output, redacted, is
    appended to ``log`` and returned. A non-zero exit raises with the output's last lines."""
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            check=False,
        )
        output, code = done.stdout.decode(errors="replace"), done.returncode
    except subprocess.TimeoutExpired as expired:
        raw = expired.output or b""
        output = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        _append(log, redact(output, secrets), f"# {what}: killed after {timeout:.0f}s\n")
        raise BootstrapError(f"{what} did not finish within {timeout:.0f}s; see {log}") from None
    except OSError as error:
        raise BootstrapError(f"{what}: cannot run {argv[0]}: {error.strerror}") from error
    clean = redact(output, secrets)
    _append(log, clean, f"# {what}: exit {code}\n")
    if code != 0:
        tail = " | ".join(clean.strip().splitlines()[-TAIL_LINES:])
        raise BootstrapError(f"{what} failed (exit {code}): {tail[:600]}; see {log}")
    return clean


def _append(log: Path, output: str, trailer: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(output)
        handle.write(trailer)
