"""Fixtures for running ``kubeadm-verify e2e`` as a real subprocess against a local mirror."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.e2e.mirror import Mirror, serve

REPO = Path(__file__).resolve().parents[3]
VERSION = "v1.37.2"


@dataclass(frozen=True)
class Workspace:
    """One isolated run's world: its own cache, home, kubeconfig, output dir and marker file."""

    root: Path

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def entry_parent(self) -> Path:
        return self.cache / "kubeadm-verify" / "e2e" / VERSION

    @property
    def output(self) -> Path:
        return self.root / "reports"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def marker(self) -> Path:
        return self.root / "ran.log"

    def ran(self) -> list[str]:
        """Every fake binary invocation so far, one argv line each."""
        return self.marker.read_text().splitlines() if self.marker.exists() else []

    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.output / "e2e" / "results.json").read_text())
        return data

    def cache_entries(self) -> list[str]:
        """What the version's cache folder holds, lock files aside (they are not entries)."""
        if not self.entry_parent.exists():
            return []
        return sorted(p.name for p in self.entry_parent.iterdir() if p.suffix != ".lock")

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "XDG_CACHE_HOME": str(self.cache),
            "HOME": str(self.root / "home"),
            "PYTHONPATH": str(REPO),
            "NO_COLOR": "1",
        }
        env.pop("KUBECONFIG", None)
        argv = [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "e2e",
            "--output-dir",
            str(self.output),
            *args,
        ]
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.root,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    space = Workspace(tmp_path)
    (tmp_path / "home").mkdir()
    space.kubeconfig.write_text(  # a cluster the fake e2e.test never dials, as one context
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        "clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: fake, user: {}}]\n"
        "contexts: [{name: fake, context: {cluster: fake, user: fake}}]\n"
    )
    return space


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve(Mirror()) as running:
        yield running
