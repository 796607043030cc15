"""Running a command inside a node: an argv list, a deadline, its output in a log, secrets out.

kubeadm prints what it was given in places (``init`` the join command with its token, unless
told not to; a failing discovery the endpoint and more): every output passes through
``redact`` (the secrets the caller knows, then the project's one scrubber) before it reaches a
log or an error message, whatever the command.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.redact import MASK, scrub

TAIL_LINES = 5
READER_GRACE_S = 5.0


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
    accepted: Collection[int] = (0,),
) -> str:
    """Run ``argv`` to its end within ``timeout`` s (killed then, and on any exception here,
    an interrupt included); each output line, redacted and stamped with the seconds since the
    start, is appended to ``log``. Returns the output; an exit status not ``accepted`` raises
    with its last lines."""
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    started = time.monotonic()
    lines: list[str] = []
    try:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
    except OSError as error:
        raise BootstrapError(f"{what}: cannot run {argv[0]}: {error.strerror}") from error
    with child:
        reader = threading.Thread(target=_read, args=(child, lines, started, secrets), daemon=True)
        reader.start()
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            reader.join(READER_GRACE_S)
            _append(log, lines, f"# {what}: killed after {timeout:.0f}s\n")
            raise BootstrapError(
                f"{what} did not finish within {timeout:.0f}s; see {log}"
            ) from None
        except BaseException:
            child.kill()
            child.wait()
            reader.join(READER_GRACE_S)
            _append(log, lines, f"# {what}: killed, interrupted\n")
            raise
        reader.join(READER_GRACE_S)
    _append(log, lines, f"# {what}: exit {code} after {time.monotonic() - started:.1f}s\n")
    output = "".join(line.split(" ", 1)[1] for line in lines)
    if code not in accepted:
        tail = " | ".join(output.strip().splitlines()[-TAIL_LINES:])
        raise BootstrapError(f"{what} failed (exit {code}): {tail[:600]}; see {log}")
    return output


def _read(
    child: subprocess.Popen[bytes], lines: list[str], started: float, secrets: Sequence[str]
) -> None:
    assert child.stdout is not None
    for raw in child.stdout:
        text = redact(raw.decode(errors="replace"), secrets)
        lines.append(f"{time.monotonic() - started:7.2f} {text}")


def _append(log: Path, lines: list[str], trailer: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.write(trailer)
