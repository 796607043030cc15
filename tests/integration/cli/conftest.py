"""The CLI as a subprocess, with what every bad-input case must show checked in one place.

Each case asserts the same contract: the exit status, exactly one line on stderr (no traceback),
both report files of the tier written (unless the output folder itself is the bad input), no
planted secret in any report or in the run's output, nothing left in the run's private folders,
and a wall time that proves nothing hung.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
PREFIX = "kvcore"


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@dataclass(frozen=True)
class Cli:
    """One test's isolated world: its home, cache, temporary directory and output folder."""

    root: Path

    @property
    def output(self) -> Path:
        return self.root / "reports"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KUBEADM_VERIFY_") and k != "KUBECONFIG"
        }
        env.update(
            {
                "HOME": str(self.root / "home"),
                "PYTHONPATH": str(REPO),
                "NO_COLOR": "1",
                "TMPDIR": str(self.tmp),
                "XDG_CACHE_HOME": str(self.root / "cache"),
            }
        )
        env.update(extra or {})
        return env

    def argv(self, verb: str, *args: str, output: bool = True) -> list[str]:
        out = ["--output-dir", str(self.output)] if output else []
        return [sys.executable, "-m", "kubeadm_verify", verb, *out, *args]

    def run(
        self,
        verb: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
        output: bool = True,
    ) -> Outcome:
        clock = time.monotonic()
        done = subprocess.run(
            self.argv(verb, *args, output=output),
            capture_output=True,
            text=True,
            env=self.env(env),
            cwd=self.root,
            timeout=timeout,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - clock)

    def start(
        self, verb: str, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(verb, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(env),
            cwd=self.root,
        )

    def results(self, tier: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.output / tier / "results.json").read_text())
        return data

    def report_text(self, tier: str) -> str:
        folder = self.output / tier
        return "".join(p.read_text() for p in sorted(folder.iterdir()) if p.is_file())


def interrupt(
    proc: subprocess.Popen[str], sig: signal.Signals, after: float, timeout: float = 90
) -> Outcome:
    """Send ``sig`` to a running CLI ``after`` seconds; wait for it to finish cleaning up."""
    clock = time.monotonic()
    time.sleep(after)
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return Outcome(proc.returncode, stdout, stderr, time.monotonic() - clock)


def assert_outcome(
    cli: Cli,
    outcome: Outcome,
    *,
    code: int,
    says: str,
    tier: str | None,
    secrets: Iterable[str] = (),
    within: float = 60.0,
) -> None:
    """The contract every case shares (see the module docstring)."""
    assert outcome.code == code, outcome.stderr
    assert len(outcome.lines) == 1, outcome.stderr
    assert outcome.lines[0].startswith("kubeadm-verify"), outcome.lines
    assert says in outcome.lines[0], outcome.lines[0]
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert outcome.seconds < within, f"took {outcome.seconds:.1f}s"
    if tier is not None:
        assert (cli.output / tier / "junit.xml").is_file()
        assert (cli.output / tier / "results.json").is_file()
        cli.results(tier)  # parses
    everything = outcome.stdout + outcome.stderr
    if cli.output.exists():
        everything += "".join(
            p.read_text(errors="replace") for p in cli.output.rglob("*") if p.is_file()
        )
    for secret in secrets:
        assert secret not in everything, f"secret {secret[:6]}... leaked"
    leftovers = list(cli.tmp.iterdir()) if cli.tmp.exists() else []
    assert leftovers == [], f"left in the temporary directory: {leftovers}"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    world = Cli(tmp_path)
    (tmp_path / "home").mkdir()
    world.tmp.mkdir()
    return world
