"""kubeadm's own preflight and ours, side by side on this machine, one host fact at a time.

For both roles, every check kubeadm v1.37.2 runs (its ``InitNodeChecks``/``JoinNodeChecks``,
built from the pinned module) must have our verdict, and the same one: in the machine's own
state, and after changing one fact (a listener on the API port, a static Pod manifest, a non-empty
/var/lib/etcd, swap on, ip_forward flipped, an old or a current kubelet on PATH). Every change is
undone in ``finally``. Differences must be listed in ``KNOWN`` with the reason.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nodechecks.facts import default_route_address
from nodechecks.host import Host
from tests.integration.nodechecks.kubeadm_side import (
    Comparison,
    compare,
    harness,
    kubeadm_verdicts,
    our_verdicts,
)

pytestmark = pytest.mark.integration
ROLES = ("control-plane", "worker")
KNOWN: dict[str, str] = {}
"""check id → why our verdict differs from kubeadm's on purpose (none today)."""
NOT_HERE = "10.255.0.1"
MANIFEST = Path("/etc/kubernetes/manifests/kube-apiserver.yaml")
ETCD_DIR = Path("/var/lib/etcd")
FLIP_IP_FORWARD = (
    "v=$(cat /proc/sys/net/ipv4/ip_forward); echo $((1 - v)) > "
    '/proc/sys/net/ipv4/ip_forward && exec "$@"'
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def write_configs(folder: Path, port: int, address: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    init = folder / "init.yaml"
    init.write_text(f"""\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
  bindPort: {port}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
""")
    join = folder / "join.yaml"
    join.write_text(f"""\
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {address}:{port}
    token: kvnode.0123456789abcdef
    unsafeSkipCAVerification: true
""")
    return {"control-plane": init, "worker": join}


@contextlib.contextmanager
def nothing() -> Iterator[tuple[str, ...]]:
    yield ()


@contextlib.contextmanager
def api_listener(port: int) -> Iterator[tuple[str, ...]]:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", port))
        listener.listen()
        yield ()


@contextlib.contextmanager
def created(path: Path, content: str, is_dir: bool = False) -> Iterator[tuple[str, ...]]:
    """Create ``path`` (and missing parents), then remove exactly what was created: the file,
    then each directory made, only if empty (never anything someone else put there)."""
    if path.exists():
        pytest.fail(f"{path} exists already; this test changes it only when it does not")
    file = path / "kvnode-member" if is_dir else path
    dirs = [p for p in file.parents if not p.exists()]
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)
        yield ()
    finally:
        file.unlink(missing_ok=True)
        for directory in dirs:  # deepest first
            with contextlib.suppress(OSError):
                directory.rmdir()


@contextlib.contextmanager
def swap_on(folder: Path) -> Iterator[tuple[str, ...]]:
    swapfile = folder / "kvnode.swap"
    with swapfile.open("wb") as handle:
        handle.write(b"\0" * (16 * 1024 * 1024))
    swapfile.chmod(0o600)
    subprocess.run(["mkswap", str(swapfile)], capture_output=True, check=True, timeout=30)
    done = subprocess.run(
        ["swapon", str(swapfile)], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        swapfile.unlink()
        pytest.skip(f"this machine does not allow swap on: {done.stderr.strip()}")
    try:
        yield ()
    finally:
        subprocess.run(["swapoff", str(swapfile)], capture_output=True, timeout=60, check=False)
        swapfile.unlink(missing_ok=True)


@contextlib.contextmanager
def ip_forward_flipped() -> Iterator[tuple[str, ...]]:
    """ip_forward is per network namespace: both run in a fresh one where it is flipped, so
    the machine's own value (which others rely on) never changes."""
    yield ("unshare", "-n", "sh", "-c", FLIP_IP_FORWARD, "kvnode")


def kubelet_on_path(folder: Path, version: str) -> Callable[[dict[str, str]], None]:
    kubelet = folder / f"kubelet-{version}" / "kubelet"
    kubelet.parent.mkdir(parents=True, exist_ok=True)
    kubelet.write_text(f"#!/bin/sh\necho 'Kubernetes {version}'\n")
    kubelet.chmod(0o755)

    def add(env: dict[str, str]) -> None:
        env["PATH"] = f"{kubelet.parent}:{env['PATH']}"

    return add


@pytest.fixture(scope="module")
def binary() -> Path:
    return harness()


def side_by_side(
    binary: Path,
    folder: Path,
    configs: dict[str, Path],
    state: str,
    prefix: tuple[str, ...],
    env: dict[str, str],
) -> list[Comparison]:
    results = []
    for role in ROLES:
        out = folder / "".join(c if c.isalnum() else "-" for c in state) / role
        out.mkdir(parents=True)
        theirs = kubeadm_verdicts(binary, role, configs[role], env, out / "kubeadm.json", prefix)
        ours = our_verdicts(configs[role], env, out / "reports", prefix)
        results.append(compare(state, role, theirs, ours))
    return results


def test_kubeadm_and_we_agree_check_for_check(binary: Path, tmp_path: Path) -> None:
    port = free_port()
    here = default_route_address(Host("/")) or "127.0.0.1"
    configs = write_configs(tmp_path / "local", port, here)
    elsewhere = write_configs(tmp_path / "elsewhere", port, NOT_HERE)
    old_kubelet = kubelet_on_path(tmp_path, "v1.33.4")
    new_kubelet = kubelet_on_path(tmp_path, "v1.37.2")
    states: list[
        tuple[
            str,
            Callable[[], contextlib.AbstractContextManager[tuple[str, ...]]],
            Callable[[dict[str, str]], None] | None,
        ]
    ] = [
        ("as the machine is", nothing, None),
        (f"advertising {NOT_HERE} (not local)", nothing, None),
        (f"a listener on :{port}", lambda: api_listener(port), None),
        ("kube-apiserver manifest present", lambda: created(MANIFEST, "kind: Pod\n"), None),
        ("/var/lib/etcd not empty", lambda: created(ETCD_DIR, "x", is_dir=True), None),
        ("swap on", lambda: swap_on(tmp_path), None),
        ("ip_forward flipped (own netns)", ip_forward_flipped, None),
        ("kubelet v1.33.4 on PATH", nothing, old_kubelet),
        ("kubelet v1.37.2 on PATH", nothing, new_kubelet),
    ]
    comparisons: list[Comparison] = []
    for state, change, adjust in states:
        env = {**os.environ}
        if adjust is not None:
            adjust(env)
        chosen = elsewhere if NOT_HERE in state else configs
        with change() as prefix:
            comparisons += side_by_side(binary, tmp_path, chosen, state, prefix, env)
    print("\nkubeadm v1.37.2 preflight vs kubeadm-verify node (agreeing/total):")
    for comparison in comparisons:
        print(comparison.line())
    unexplained = {
        f"{c.role} / {c.state}": {i: d for i, d in c.differ.items() if i not in KNOWN}
        for c in comparisons
    }
    assert not {k: v for k, v in unexplained.items() if v}, unexplained
    assert all(c.total >= 15 for c in comparisons)
    changed = {(c.role, c.state): c.kubeadm for c in comparisons}
    assert changed[("control-plane", f"a listener on :{port}")][f"Port-{port}"] == "fail"
    manifest = "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml"
    assert changed[("control-plane", "kube-apiserver manifest present")][manifest] == "fail"
    assert changed[("control-plane", "/var/lib/etcd not empty")]["DirAvailable--var-lib-etcd"] == (
        "fail"
    )
    assert changed[("worker", "swap on")]["Swap"] == "warn"
    assert changed[("control-plane", f"advertising {NOT_HERE} (not local)")]["Port-2379"] == "fail"
    forward = "FileContent--proc-sys-net-ipv4-ip_forward"
    assert (
        changed[("worker", "ip_forward flipped (own netns)")][forward]
        != (changed[("worker", "as the machine is")][forward])
    )
    assert changed[("worker", "kubelet v1.33.4 on PATH")]["KubeletVersion"] == "fail"
    assert changed[("worker", "kubelet v1.37.2 on PATH")]["KubeletVersion"] == "pass"


def printed_verdicts(stderr: str) -> dict[str, str]:
    """``[WARNING Id]`` and ``[ERROR Id]`` lines of kubeadm's output; an id printed with both
    (HTTPProxyCIDR per CIDR) keeps the worse."""
    verdicts: dict[str, str] = {}
    for line in stderr.splitlines():
        words = line.strip().split(" ", 1)
        if len(words) == 2 and words[0] in ("[WARNING", "[ERROR") and "]:" in words[1]:
            check_id = words[1].split("]:", 1)[0]
            verdict = "fail" if words[0] == "[ERROR" else "warn"
            if verdicts.get(check_id) != "fail":
                verdicts[check_id] = verdict
    return verdicts


def test_the_kubeadm_binary_prints_what_the_harness_and_we_say(
    binary: Path, tmp_path: Path
) -> None:
    """The real ``kubeadm init|join phase preflight`` (the pinned binary) prints a warning or an
    error for exactly the checks where the harness, and we, do not pass."""
    from bootstrap.upstream.binaries import ensure_binaries

    kubeadm = ensure_binaries() / "kubeadm"
    configs = write_configs(tmp_path, free_port(), default_route_address(Host("/")) or "127.0.0.1")
    dry_run = tmp_path / "kvnode-dryrun"
    dry_run.mkdir()
    had_etc_kubernetes = Path("/etc/kubernetes").exists()
    env = {**os.environ, "KUBEADM_INIT_DRYRUN_DIR": str(dry_run)}
    commands = {
        "control-plane": ["init", "phase", "preflight", "--dry-run"],
        "worker": ["join", "phase", "preflight"],
    }
    for role, command in commands.items():
        done = subprocess.run(
            [str(kubeadm), *command, "--config", str(configs[role])],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        printed = printed_verdicts(done.stderr)
        out = tmp_path / role
        out.mkdir()
        harnessed = kubeadm_verdicts(binary, role, configs[role], env, out / "kubeadm.json")
        ours = our_verdicts(configs[role], env, out / "reports")
        not_passing = {i: v for i, v in harnessed.by_id.items() if v != "pass"}
        assert printed == not_passing, (role, done.stderr[-3000:])
        assert {i: ours.by_id.get(i) for i in harnessed.by_id} == harnessed.by_id
    assert had_etc_kubernetes or not Path("/etc/kubernetes").exists()  # dry runs wrote elsewhere
