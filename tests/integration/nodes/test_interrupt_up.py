"""``kubeadm-verify up --nodes 2`` interrupted as a user or a CI runner interrupts it, and
``down`` after a whole one: each time the host is left as it was found.

The CLI runs as a subprocess in its own session (a shell's background job would start with
SIGINT ignored). SIGINT goes to its whole process group, as Ctrl-C at a terminal sends it, so
the helpers it runs at that moment (``ctr``, ``nsenter``, pyroute2's children) get it too;
SIGTERM goes to the CLI alone, as a runner's cancel does. An interrupted run exits 130 with one
``kubeadm-verify:`` line after its phase lines, removes its state dir, its nodes' runtime dir and
its temporary files, and leaves the host snapshot (``snapshot.take``) as it was before it
started. The whole ``up`` runs with the longest name the CLI takes and a state dir far longer
than a Unix socket's path: the nodes' sockets live in their short runtime dir all the same.

Other clusters may come and go on this machine while a case runs, so ``hostscope`` holds a
difference against the run unless it is positively another cluster's.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bootstrap.runtime.nodes.addressing import cluster_id
from bootstrap.runtime.nodes.layout import runtime_dir
from bootstrap.runtime.state import StateDir
from tests.integration.nodes import hostscope

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
UP_TIMEOUT = 300.0
CLEANUP_TIMEOUT = 180.0
SETTLE = 3.0
CLEANUP_BOUND = 60.0
"""A node's processes get 10 s to stop after SIGTERM; an interrupt that waits for images to
load, or for anything that hangs, shows here."""


@dataclass
class Run:
    """One ``up`` in its own session, its stderr read line by line as it comes."""

    proc: subprocess.Popen[str]
    state: StateDir
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def saw(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def wait_for(self, what: str, point: Callable[[Run], bool]) -> float:
        started = time.monotonic()
        while not point(self):
            assert self.proc.poll() is None, (
                f"up ended ({self.proc.returncode}) before {what}:\n" + "".join(self.lines)
            )
            assert time.monotonic() - started < UP_TIMEOUT, f"timed out waiting for {what}"
            time.sleep(0.1)
        return time.monotonic() - started

    def finish(self, timeout: float) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        if self.reader is not None:
            self.reader.join(timeout=10)
        stdout = self.proc.stdout.read() if self.proc.stdout else ""
        return code, stdout, "".join(self.lines)


@dataclass(frozen=True)
class World:
    """A case's own name, state dir (``nest`` deep) and temporary directory, named ``kvi-``."""

    root: Path
    name: str
    nest: str = ""

    @property
    def state(self) -> StateDir:
        return StateDir.for_cluster(self.name, self.root / self.nest / "state")

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KUBEADM_VERIFY_") and k != "KUBECONFIG"
        }
        env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", "TMPDIR": str(self.tmp)})
        return env

    def argv(self, verb: str, *more: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "kubeadm_verify",
            verb,
            "--name",
            self.name,
            "--state-dir",
            str(self.state.root),
            *more,
        ]

    def up(self) -> Run:
        proc = subprocess.Popen(
            self.argv("up", "--free-ports", "--nodes", "2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            cwd=self.root,
            start_new_session=True,
        )
        run = Run(proc, self.state)
        run.reader = threading.Thread(target=_read_lines, args=(proc, run.lines), daemon=True)
        run.reader.start()
        return run

    def down(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv("down"),
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.root,
            timeout=CLEANUP_TIMEOUT,
            check=False,
        )


def _read_lines(proc: subprocess.Popen[str], into: list[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        into.append(line)


LONG_NEST = "/".join(["a-state-dir-as-deep-as-a-users-home-can-put-it"] * 4)
"""With the rest, a state dir of about 240 characters."""


@pytest.fixture
def world(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[World]:
    """A case's world; whatever a failed case leaves running is taken down after it. With
    ``long`` (indirect), the longest cluster name the CLI takes and a deep state dir."""
    root = tmp_path_factory.mktemp("kvi-up")
    name = f"kvi-up-{secrets.token_hex(3)}"
    if getattr(request, "param", "") == "long":
        made = World(root, (name + "-" + "long" * 16)[:63], LONG_NEST)
    else:
        made = World(root, name)
    made.tmp.mkdir()
    try:
        yield made
    finally:
        if made.state.exists():
            made.down()


def _kubelet_started(run: Run) -> bool:
    return run.saw("kubelet started")


def _containerd_started(run: Run) -> bool:
    return run.state.logs.is_dir() and any(run.state.logs.glob("*-containerd.log"))


POINTS: dict[str, tuple[str, Callable[[Run], bool]]] = {
    "control-plane": (
        "etcd up, the API server starting",
        lambda run: run.saw('manifest for "kube-apiserver"'),
    ),
    "discovery": (
        "cluster-info verified, the nodes' network being made",
        lambda run: run.saw("[discovery]"),
    ),
    "containerd": ("a node's containerd starting", _containerd_started),
    "kubelet": ("a node's kubelet started, images loading", _kubelet_started),
    "addons": (
        "every node Ready, kube-proxy and CoreDNS awaited",
        lambda run: run.saw("node(s) Ready after"),
    ),
}
CASES = [
    pytest.param(signal.SIGINT, "control-plane", 1, id="sigint-control-plane"),
    pytest.param(signal.SIGINT, "containerd", 1, id="sigint-containerd"),
    pytest.param(signal.SIGINT, "kubelet", 1, id="sigint-kubelet"),
    pytest.param(signal.SIGINT, "kubelet", 2, id="sigint-twice-kubelet"),
    pytest.param(signal.SIGINT, "addons", 1, id="sigint-addons"),
    pytest.param(signal.SIGTERM, "discovery", 1, id="sigterm-discovery"),
    pytest.param(signal.SIGTERM, "containerd", 1, id="sigterm-containerd"),
]
"""(signal, point, how many times): a second Ctrl-C, half a second into the clean-up, must not
cut it short."""


@pytest.mark.parametrize(("sig", "point", "times"), CASES)
def test_an_interrupted_up_leaves_the_host_as_it_was(
    world: World, sig: signal.Signals, point: str, times: int
) -> None:
    before = hostscope.take()
    run = world.up()
    try:
        what, reached = POINTS[point]
        waited = run.wait_for(what, reached)
        signalled = time.monotonic()
        _send(run, sig, times)
        code, stdout, stderr = run.finish(CLEANUP_TIMEOUT)
        took = time.monotonic() - signalled
    finally:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()
    print(
        f"\n[bench] {sig.name} x{times} at {point} after {waited:.1f}s: exit {code}, "
        f"clean-up {took:.1f}s"
    )
    assert code == 130, stderr
    assert took < CLEANUP_BOUND, f"the clean-up took {took:.1f}s"
    ours = [line for line in stderr.splitlines() if line.startswith("kubeadm-verify")]
    assert ours == ["kubeadm-verify: interrupted"], stderr
    assert stderr.rstrip().endswith("kubeadm-verify: interrupted"), stderr
    assert "Traceback" not in stderr and stdout == "", stderr
    _assert_left_nothing(world, before)


@pytest.mark.parametrize("world", ["long"], indirect=True)
def test_down_after_a_whole_up_leaves_the_host_as_it_was(world: World) -> None:
    assert len(world.name) == 63 and len(str(world.state.root)) > 200
    before = hostscope.take()
    run = world.up()
    clock = time.monotonic()
    code, stdout, stderr = run.finish(UP_TIMEOUT)
    took_up = time.monotonic() - clock
    assert code == 0, stderr
    assert stdout.strip() == str(world.state.admin_conf)
    assert (runtime_dir(cluster_id(world.state.root)) / "n1" / "kubelet").is_dir()
    clock = time.monotonic()
    done = world.down()
    print(f"\n[bench] up --nodes 2 {took_up:.1f}s, down {time.monotonic() - clock:.1f}s")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "[reset] Stopped" in done.stderr, done.stderr
    _assert_left_nothing(world, before)


def _send(run: Run, sig: signal.Signals, times: int) -> None:
    """SIGINT to the process group, as a terminal's Ctrl-C; SIGTERM to the CLI alone."""
    for count in range(times):
        if count:
            time.sleep(0.5)
        if sig == signal.SIGINT:
            os.killpg(run.proc.pid, sig)
        else:
            run.proc.send_signal(sig)


def _assert_left_nothing(world: World, before: hostscope.Seen) -> None:
    state = world.state
    assert not state.root.exists(), sorted(p.name for p in state.root.iterdir())
    assert list(world.tmp.iterdir()) == []
    assert hostscope.naming(state.root) == [], "processes still naming the state dir"
    runtime = runtime_dir(cluster_id(state.root))
    assert not runtime.exists(), sorted(p.name for p in runtime.iterdir())
    assert hostscope.naming(runtime) == [], "processes still naming the runtime dir"
    left = hostscope.unexplained(before, hostscope.take(), cluster_id(state.root))
    if left:  # a neighbour's pod caught between its start and its cgroup: gone by now
        time.sleep(SETTLE)
        left = hostscope.unexplained(before, hostscope.take(), cluster_id(state.root))
    assert not left, left
