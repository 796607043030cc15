"""kubeadm's own preflight, built from the same Go module as the pinned binaries, beside ours.

``kubeadm_preflight/main.go`` calls ``preflight.InitNodeChecks``/``JoinNodeChecks`` of
k8s.io/kubernetes at the pinned version and writes each check's warnings and errors as JSON. It is
compiled inside the generated module that builds the binaries (it already pins every replace),
once: the binary is cached under a key of its source, version and link flags, so a second run
builds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.upstream.gobuild import GoBuild
from bootstrap.upstream.gorun import go_env
from bootstrap.upstream.versions import KUBERNETES_VERSION, cache_root

HARNESS_SOURCE = Path(__file__).with_name("kubeadm_preflight") / "main.go"
REPO = Path(__file__).resolve().parents[3]
BUILD_TIMEOUT_S = 1800


def harness(version: str = KUBERNETES_VERSION) -> Path:
    """The built harness for ``version``: from the cache, else built once into it."""
    build = GoBuild.for_version(version)
    flags = build.ldflags()
    source = HARNESS_SOURCE.read_bytes()
    key = hashlib.sha256(source + version.encode() + flags.encode()).hexdigest()[:16]
    binary = cache_root() / "kvnode-preflight" / key / "kubeadm-preflight"
    if binary.exists():
        return binary
    module = build.kubernetes_module()
    package = module / f"kvnode-preflight-{key}"
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(f".{os.getpid()}.partial")
    try:
        package.mkdir(exist_ok=True)
        (package / "main.go").write_bytes(source)
        argv = [
            build.go,
            "build",
            "-trimpath",
            "-ldflags",
            flags,
            "-o",
            str(partial),
            f"./{package.name}",
        ]
        done = subprocess.run(
            argv,
            cwd=module,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the kubeadm preflight harness failed:\n{done.stderr}")
        os.replace(partial, binary)
    finally:
        shutil.rmtree(package, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return binary


@dataclass(frozen=True)
class Verdicts:
    """Check id → verdict (``pass``/``warn``/``fail``, or ours may ``skip``/``error``)."""

    by_id: dict[str, str]
    messages: dict[str, str]


def kubeadm_verdicts(
    binary: Path,
    role: str,
    config: Path,
    env: dict[str, str],
    out: Path,
    prefix: tuple[str, ...] = (),
) -> Verdicts:
    """Run kubeadm's checks; a check kubeadm adds more than once (HTTPProxyCIDR per CIDR,
    ExternalEtcdClientCertificates per file) gets its worst verdict."""
    argv = [*prefix, str(binary), "--role", role, "--config", str(config), "--out", str(out)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"kubeadm preflight harness failed: {done.stderr.strip()}")
    by_id: dict[str, str] = {}
    messages: dict[str, str] = {}
    rank = {"pass": 0, "warn": 1, "fail": 2}
    for record in json.loads(out.read_text()):
        verdict = "fail" if record["errors"] else "warn" if record["warnings"] else "pass"
        previous = by_id.get(record["id"], "pass")
        by_id[record["id"]] = max(previous, verdict, key=rank.__getitem__)
        text = "; ".join(record["errors"] + record["warnings"])
        if text:
            messages[record["id"]] = text
    return Verdicts(by_id, messages)


def our_verdicts(
    config: Path, env: dict[str, str], out: Path, prefix: tuple[str, ...] = ()
) -> Verdicts:
    argv = [
        *prefix,
        sys.executable,
        "-m",
        "kubeadm_verify",
        "node",
        "--config",
        str(config),
        "--format",
        "json",
        "--output-dir",
        str(out),
    ]
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=300, cwd=REPO, check=False
    )
    report: dict[str, Any] = json.loads((out / "node" / "results.json").read_text())
    if done.returncode not in (0, 1):
        raise RuntimeError(f"kubeadm-verify node failed: {done.stderr.strip()}")
    checks = report["checks"]
    return Verdicts({c["id"]: c["status"] for c in checks}, {c["id"]: c["message"] for c in checks})


@dataclass(frozen=True)
class Comparison:
    state: str
    role: str
    agree: list[str]
    differ: dict[str, tuple[str, str]]
    kubeadm: dict[str, str]

    @property
    def total(self) -> int:
        return len(self.agree) + len(self.differ)

    def line(self) -> str:
        return f"{self.role:<13} {self.state:<34} {len(self.agree)}/{self.total}"


def compare(state: str, role: str, kubeadm: Verdicts, ours: Verdicts) -> Comparison:
    """Every check kubeadm ran must have our verdict, and the same one."""
    agree, differ = [], {}
    for check_id, verdict in kubeadm.by_id.items():
        mine = ours.by_id.get(check_id, "missing")
        if mine == verdict:
            agree.append(check_id)
        else:
            differ[check_id] = (verdict, mine)
    return Comparison(state, role, agree, differ, kubeadm.by_id)
