"""``e2e`` against a real local mirror that misbehaves: every download and unpack is bounded.

A mirror that trickles one byte a second never trips a read timeout, yet the run ends at its
``--download-timeout``; a valid-checksum bomb, a tarball of too many members and a full disk (a
real 2 MiB tmpfs as the cache) each end in one line and the reports; an interrupt mid-download
(SIGINT or SIGTERM) leaves e2e reports and no half-made cache entry.
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.conftest import Cli, assert_outcome, interrupt
from tests.integration.e2e.fakes import Scenario, build_tarball, sha256_hex
from tests.integration.e2e.mirror import Mirror, Route, publish, serve

pytestmark = pytest.mark.integration

VERSION = "v1.37.2"


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve(Mirror()) as running:
        yield running


def _args(cli: Cli, mirror: Mirror, *extra: str) -> list[str]:
    kubeconfig = cli.root / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    return [
        "--mirror",
        mirror.url,
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(kubeconfig),
        *extra,
    ]


def _no_entry(cli: Cli, cache: Path | None = None) -> None:
    """No cache entry, no staging folder and no tarball survive a refused package."""
    folder = (cache or cli.root / "cache") / "kubeadm-verify" / "e2e" / VERSION
    left = [p.name for p in folder.iterdir() if p.suffix != ".lock"] if folder.exists() else []
    assert left == []


def _package(payload: bytes, *, members: int = 0) -> bytes:
    """A package whose ``e2e.test`` is ``payload``, with ``members`` extra empty folders."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name, data in (
            ("kubernetes/test/bin/ginkgo", b"#!/bin/sh\n"),
            ("kubernetes/test/bin/e2e.test", payload),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
        for index in range(members):
            info = tarfile.TarInfo(f"kubernetes/extra/{index}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
    return buffer.getvalue()


def test_a_trickling_mirror_ends_at_the_download_deadline(cli: Cli, mirror: Mirror) -> None:
    body = build_tarball(Scenario(), cli.root / "ran.log")
    publish(mirror, VERSION, body, sha256=sha256_hex(body), route=Route(body, trickle_s=1.0))
    outcome = cli.run("e2e", *_args(cli, mirror, "--download-timeout", "4s"), timeout=60)
    assert_outcome(cli, outcome, code=2, says="did not finish within 4s", tier="e2e", within=20)
    assert cli.results("e2e")["checks"][0]["status"] == "error"
    _no_entry(cli)


def test_a_bomb_with_a_valid_checksum_is_refused_before_a_byte_is_written(
    cli: Cli, mirror: Mirror
) -> None:
    body = _package(bytes(256 << 20))  # 256 MiB of zeros: about 1 MiB compressed
    publish(mirror, VERSION, body, sha256=sha256_hex(body))
    outcome = cli.run("e2e", *_args(cli, mirror), timeout=60)
    assert_outcome(
        cli, outcome, code=2, says="would unpack to 268435466 bytes", tier="e2e", within=30
    )
    _no_entry(cli)


def test_too_many_members_are_refused(cli: Cli, mirror: Mirror) -> None:
    body = _package(b"#!/bin/sh\n", members=10_001)
    publish(mirror, VERSION, body, sha256=sha256_hex(body))
    outcome = cli.run("e2e", *_args(cli, mirror), timeout=60)
    assert_outcome(cli, outcome, code=2, says="more than 10000 members", tier="e2e", within=30)
    _no_entry(cli)


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "kvcore-full", str(where)], check=True
    )
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_while_extracting_is_one_line(cli: Cli, mirror: Mirror) -> None:
    rng = random.Random(9)  # noqa: S311 (filler bytes of known entropy, not a secret)
    payload = bytes(rng.choice(b"ab") for _ in range(4 << 20))  # ~0.65 MiB compressed
    body = _package(payload)
    publish(mirror, VERSION, body, sha256=sha256_hex(body))
    with _tmpfs(cli.root / "small-cache", "2m") as cache:
        outcome = cli.run(
            "e2e", *_args(cli, mirror), env={"XDG_CACHE_HOME": str(cache)}, timeout=60
        )
        assert_outcome(
            cli,
            outcome,
            code=2,
            says="no space left on the device while extracting e2e.test",
            tier="e2e",
            within=30,
        )
        _no_entry(cli, cache)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupted_fetch_still_writes_e2e_reports(
    cli: Cli, mirror: Mirror, sig: signal.Signals
) -> None:
    body = build_tarball(Scenario(), cli.root / "ran.log")
    publish(mirror, VERSION, body, sha256=sha256_hex(body), route=Route(body, trickle_s=0.5))
    proc = cli.start("e2e", *_args(cli, mirror))
    outcome = interrupt(proc, sig, after=3.0, timeout=30)
    assert_outcome(cli, outcome, code=130, says="interrupted", tier="e2e", within=15)
    checks = cli.results("e2e")["checks"]
    assert [(c["id"], c["status"]) for c in checks] == [("e2e/start", "error")]
    _no_entry(cli)
