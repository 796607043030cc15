"""Clusters of their own: down, a failed up, SIGINT mid-up, two clusters side by side, and the
sessions that hold them as fixtures interrupted (SIGTERM; Ctrl-C on xdist workers).

Each test reads what the state dir records (processes, ports) before the dir goes away, then
checks that none of those processes is alive, no port still listens and the dir is gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bootstrap.kubeadm import components
from bootstrap.runtime import health, process
from bootstrap.runtime.bringup import start
from bootstrap.runtime.cluster import down, teardown
from bootstrap.runtime.handle import ClusterHandle
from bootstrap.runtime.ports import free_port
from bootstrap.runtime.spec import ClusterSpec
from bootstrap.runtime.state import ProcessRecord, StateDir
from kubeadm_verify.cli import main
from tests.integration.bootstrap.helpers import assert_nothing_left, eventually, recorded

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]

BAD_FLAG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
  - name: no-such-flag
    value: "1"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {{bindPort: {bind}}}
---
apiVersion: kubeadm-verify/v1alpha1
kind: LocalClusterConfiguration
ports: {{etcdClient: {client}, etcdPeer: {peer}, etcdMetrics: {metrics}, controllerManager: 0,
        scheduler: 0}}
"""
EXTRA_ARGS = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
  - name: event-ttl
    value: 2h
scheduler:
  extraArgs:
  - name: v
    value: "3"
"""


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def state_of(handle: ClusterHandle) -> StateDir:
    assert handle.state_dir is not None
    return StateDir(handle.state_dir, handle.name)


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kubeadm.yaml"
    path.write_text(text)
    return path


def test_two_clusters_side_by_side_then_down(tmp_path: Path) -> None:
    """Both up at once on free ports, both healthy, extraArgs in the processes, both removed."""
    configs = [None, config_file(tmp_path, EXTRA_ARGS)]
    handles: dict[int, ClusterHandle] = {}
    errors: list[BaseException] = []

    def bring_up(index: int, config: Path | None) -> None:
        try:
            spec = ClusterSpec.local(
                f"kv-side-{index}-{os.getpid()}", config, state_dir=tmp_path / f"c{index}"
            )
            handles[index] = start(spec, log=lambda line: None)
        except BaseException as error:  # reported below, on the main thread
            errors.append(error)

    other = threading.Thread(target=bring_up, args=(0, configs[0]))
    other.start()
    bring_up(1, configs[1])
    other.join(timeout=300)
    try:
        assert not errors, errors
        states = [state_of(handles[0]), state_of(handles[1])]
        ports = [set(state.cluster_record().ports.values()) for state in states]
        assert not ports[0] & ports[1]
        for state in states:
            address = state.cluster_record().advertise_address  # what the cert names
            assert (
                health.http_status(
                    f"https://{address}:{state.cluster_record().bind_port}/readyz",
                    health.tls_context(state.pki / "ca.crt"),
                )
                == 200
            )
        by_component = {r.component: r for r in states[1].processes()}
        apiserver = cmdline(by_component[components.APISERVER].pid)
        assert apiserver[-1] == "--event-ttl=2h"
        assert "--v=3" in cmdline(by_component[components.SCHEDULER].pid)
        kcm = cmdline(by_component[components.CONTROLLER_MANAGER].pid)
        assert "--controllers=*,bootstrapsigner,tokencleaner" in kcm
    finally:
        left = {index: recorded(state_of(handle)) for index, handle in handles.items()}
        for handle in handles.values():
            assert down(handle.name, state_dir=handle.state_dir, log=lambda line: None)
    for index, handle in handles.items():
        assert handle.state_dir is not None
        assert_nothing_left(*left[index], handle.state_dir)
        assert not down(handle.name, state_dir=handle.state_dir)  # a second down: no-op


def test_a_bad_flag_fails_up_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ports = {
        "bind": free_port(),
        "client": free_port(),
        "peer": free_port(),
        "metrics": free_port(),
    }
    config = config_file(tmp_path, BAD_FLAG.format(**ports))
    state_dir = tmp_path / "bad"
    started: list[int] = []
    watcher = threading.Thread(target=_watch_pids, args=(state_dir, started), daemon=True)
    watcher.start()
    code = main(["up", "--name", "kv-bad", "--config", str(config), "--state-dir", str(state_dir)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("kubeadm-verify: error execution phase ")
    assert "kube-apiserver exited with status 1" in err[-1]
    log = Path(err[-1].rsplit("see ", 1)[1])
    assert log.name == "kube-apiserver.log"
    assert "unknown flag: --no-such-flag" in log.read_text()
    assert not state_dir.exists()
    assert started, "no component was ever started"
    for pid in started:
        assert not Path(f"/proc/{pid}").exists() or _zombie_or_other(pid, state_dir)
    assert not [
        port for port in ports.values() if health.http_status(f"http://127.0.0.1:{port}/") != 0
    ]


def _watch_pids(state_dir: Path, found: list[int]) -> None:
    """Collect every pid the state dir records while ``up`` runs (the record goes with the dir)."""
    state = StateDir(state_dir, "kv-bad")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            for record in state.processes():
                if record.pid not in found:
                    found.append(record.pid)
        except Exception:  # noqa: S112 (the file may be mid-rename or gone)
            continue
        time.sleep(0.02)


def _zombie_or_other(pid: int, state_dir: Path) -> bool:
    """A pid still in /proc is either reused by another process or not ours any more."""
    try:
        return str(state_dir) not in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_in_the_middle_of_up(tmp_path: Path, signum: int) -> None:
    state_dir = tmp_path / "interrupted"
    state = StateDir(state_dir, "kv-int")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "up",
            "--name",
            "kv-int",
            "--state-dir",
            str(state_dir),
            "--config",
            str(config_file(tmp_path, _FREE_PORTS)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        eventually(
            lambda: (
                any(r.component == components.APISERVER for r in _safe_processes(state))
                or proc.poll() is not None
            ),
            120,
            "kube-apiserver to be started",
        )
        records, ports = recorded(state)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "kubeadm-verify: interrupted"
    assert_nothing_left(records, ports, state_dir)


_FREE_PORTS = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {bindPort: 0}
---
apiVersion: kubeadm-verify/v1alpha1
kind: LocalClusterConfiguration
ports: {etcdClient: 0, etcdPeer: 0, etcdMetrics: 0, controllerManager: 0, scheduler: 0}
"""


def _safe_processes(state: StateDir) -> list[ProcessRecord]:
    try:
        return list(state.processes())
    except Exception:
        return []


SESSION = """
import time

def test_holds_the_cluster(kv_cluster):
    print("UP", kv_cluster.state_dir, flush=True)
    time.sleep(120)
"""


def test_the_fixture_tears_down_on_sigterm(tmp_path: Path) -> None:
    """A pytest session killed with SIGTERM while a test uses ``kv_cluster`` leaves nothing."""
    (tmp_path / "test_session.py").write_text(SESSION)
    env = _own_cache(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-s",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kv-simulated-nodes",
            "0",
            "test_session.py",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 120
        while not line.startswith("UP ") and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "pytest ended before the cluster was up"
        state = StateDir(Path(line.split(" ", 1)[1].strip()), "session")
        records, ports = recorded(state)
        assert process_names(records) >= {"etcd", "kube-apiserver"}
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_nothing_left(records, ports, state.root)


def _own_cache(tmp_path: Path) -> dict[str, str]:
    """An environment whose clusters' state dirs go under ``tmp_path`` (the built binaries
    are the machine's): what a sub-run leaves is its own to find."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubeadm-verify"
    (tmp_path / "cache" / "kubeadm-verify").mkdir(parents=True)
    (tmp_path / "cache" / "kubeadm-verify" / "bin").symlink_to(cache / "bin")
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}


HELD = """
import json, os, time
from pathlib import Path
import pytest
from bootstrap.runtime import process

@pytest.fixture(scope="session")
def slow_to_stop(tmp_path_factory):
    # Deaf to SIGTERM: stopping it takes the supervisor's whole TERM_TIMEOUT (10 s) before its
    # SIGKILL, as a loaded machine's teardown outlasts what xdist waits for (10 s).
    folder = tmp_path_factory.mktemp("stubborn")
    argv = ["/bin/sh", "-c", "trap '' TERM; exec sleep 600"]
    record = process.start("stubborn", argv, folder / "stubborn.log")
    try:
        yield record
    finally:
        process.stop([record])

def test_holds_a_cluster(kv_cluster, slow_to_stop):
    held = Path(os.environ["HELD"], os.environ["PYTEST_XDIST_WORKER"])
    report = {"state_dir": str(kv_cluster.state_dir), "stubborn": slow_to_stop.as_dict()}
    held.with_suffix(".tmp").write_text(json.dumps(report))
    held.with_suffix(".tmp").rename(held.with_suffix(".json"))
    time.sleep(600)
"""
INTERRUPTED_RUN_S = 90.0
"""From SIGINT to the end of the run: each worker's teardown takes about 12 s here."""


@pytest.mark.parametrize(
    "interrupt",
    [
        pytest.param(lambda proc: os.killpg(proc.pid, signal.SIGINT), id="ctrl-c"),
        pytest.param(lambda proc: proc.send_signal(signal.SIGTERM), id="sigterm-to-pytest"),
        pytest.param(lambda proc: os.killpg(proc.pid, signal.SIGTERM), id="sigterm-to-the-group"),
    ],
)
def test_an_interrupted_parallel_run_leaves_nothing(
    tmp_path: Path, interrupt: Callable[[subprocess.Popen[str]], None]
) -> None:
    """Ctrl-C (SIGINT to the process group), or SIGTERM to pytest alone or to its whole group
    (how CI runners cancel a job), reaches a run on two xdist workers while each holds a
    cluster and a teardown longer than xdist waits for its workers: each worker's teardown
    still runs to its end, and no process, state dir, network namespace or mount of the run
    is left."""
    (tmp_path / "test_held.py").write_text(HELD)
    held = tmp_path / "held"
    held.mkdir()
    env = {**_own_cache(tmp_path), "HELD": str(held), "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
    argv += ["-n", "2", "--dist", "each", "--basetemp", str(tmp_path / "run")]
    argv += ["--kv-simulated-nodes", "0", "test_held.py"]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    states: list[StateDir] = []
    stubborn: list[ProcessRecord] = []
    try:
        eventually(
            lambda: len(list(held.glob("*.json"))) == 2 or proc.poll() is not None,
            120,
            "both workers to hold a cluster",
        )
        assert proc.poll() is None, proc.communicate()[0]
        for report in (json.loads(path.read_text()) for path in held.glob("*.json")):
            states.append(StateDir(Path(report["state_dir"]), "held"))
            stubborn.append(ProcessRecord.from_dict(report["stubborn"]))
        made = [recorded(state) for state in states]
        assert all(process_names(records) >= {"etcd", "kube-apiserver"} for records, _ in made)
        interrupt(proc)
        output, _ = proc.communicate(timeout=INTERRUPTED_RUN_S)
        for state, (records, ports) in zip(states, made, strict=True):
            assert_nothing_left([*records, *stubborn], ports, state.root)
        assert not list((tmp_path / "cache" / "kubeadm-verify" / "clusters").iterdir()), output
        names = [state.root.name for state in states]
        mounts = Path("/proc/mounts").read_text()
        assert not [line for line in mounts.splitlines() if str(tmp_path) in line]
        spaces = subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, check=True
        ).stdout
        assert not [name for name in names if name in spaces]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for state in states:  # what a failure left, so that it fails alone
            teardown(state)
        process.stop(stubborn, kill_timeout=1)


def process_names(records: list[ProcessRecord]) -> set[str]:
    return {record.component for record in records}
