"""Running the ``go`` command: output streamed to a log, one status line on stderr.

A cold build of the control plane takes many minutes; the user sees one line that says what is
being built (refreshed in place on a terminal) while every line go prints goes to a log file in
the cache, whose path is named in the error if the build fails. The environment is inherited
(``GOFLAGS``, ``GOPROXY``, ``GOCACHE`` ... are the user's), with ``CGO_ENABLED=0`` so binaries are
static like upstream's, and ``GOWORK=off`` so a workspace around the cache cannot interfere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from kubeadm_verify.errors import BootstrapError


@dataclass
class StatusLine:
    """One line on stderr: rewritten in place on a terminal, printed once per step otherwise."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def _tty(self) -> bool:
        return self.stream.isatty()

    def step(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{text}" if self._tty() else f"{text}\n")
        self.stream.flush()

    def progress(self, text: str) -> None:
        if self._tty():
            width = shutil.get_terminal_size().columns - 1
            self.stream.write(f"\r\x1b[K{text[:width]}")
            self.stream.flush()

    def done(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{text}\n" if self._tty() else f"{text}\n")
        self.stream.flush()


GO_INSTALL_DIR = "/usr/local/go/bin"
"""Where Go's own installer puts it, often missing from a bare PATH (a cron job, a CI runner)."""


def go_binary() -> str:
    """The ``go`` on PATH (or in Go's standard install dir), else a one-line reason."""
    found = shutil.which("go") or shutil.which("go", path=GO_INSTALL_DIR)
    if found is None:
        raise BootstrapError(
            f"building needs Go (1.26 or newer) on PATH or in {GO_INSTALL_DIR}; none was found"
        )
    return found


def go_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's environment plus what every build here needs."""
    env = dict(os.environ)
    env.update({"CGO_ENABLED": "0", "GOWORK": "off"})
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class GoRunner:
    """Runs go commands for one release, appending everything they print to ``log``."""

    log: Path
    status: StatusLine

    def _header(self, out: TextIO, what: str, argv: Sequence[str], cwd: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.write(f"\n### {stamp} {what}\n### cwd: {cwd}\n### $ {' '.join(argv)}\n")
        out.flush()

    def run(
        self, what: str, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
    ) -> float:
        """Run one go command to completion; return its wall time in seconds."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.status.step(f"[binaries] {what} (log: {self.log})")
        started = time.monotonic()
        with self.log.open("a") as out:
            self._header(out, what, argv, cwd)
            rc = self._stream(what, argv, cwd, go_env(env), out)
            elapsed = time.monotonic() - started
            out.write(f"### exit {rc} after {elapsed:.1f}s: {what}\n")
        if rc != 0:
            self.status.done(f"[binaries] {what}: failed")
            raise BootstrapError(f"{what} failed (go exited {rc}); see {self.log}")
        self.status.done(f"[binaries] {what}: done in {elapsed:.1f}s")
        return elapsed

    def _stream(
        self, what: str, argv: Sequence[str], cwd: Path, env: Mapping[str, str], out: TextIO
    ) -> int:
        with subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    out.write(line)
                    self.status.progress(f"[binaries] {what}: {line.strip()}")
                return proc.wait()
            except BaseException:
                proc.terminate()  # our own child, by its handle; Ctrl-C must not orphan go
                proc.wait()
                raise

    def output(self, what: str, argv: Sequence[str], cwd: Path, *, check: bool = True) -> str:
        """Run a quick go query and return its stdout; its stderr goes to the log.

        ``check=False`` is for commands that report their own errors on stdout (``-json``).
        """
        self.log.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            list(argv), cwd=cwd, env=go_env(), capture_output=True, text=True, check=False
        )
        with self.log.open("a") as out:
            self._header(out, what, argv, cwd)
            out.write(proc.stderr)
            out.write(f"### exit {proc.returncode}: {what}\n")
        if check and proc.returncode != 0:
            said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            reason = said[-1].strip().rstrip(",") if said else f"go exited {proc.returncode}"
            raise BootstrapError(f"{what} failed: {reason} (log: {self.log})")
        return proc.stdout
