"""The suite's own command runs on xdist workers, and what shares a fixture shares a worker.

A small project in a temporary folder uses the suite's rules (``tests/workers.py``) through a
conftest like ours; each test writes down the worker it ran on, and the set-up count of each
wide fixture, so the assertions read what really happened in the workers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests import workers

REPO = Path(__file__).resolve().parents[3]

CONFTEST = """
import json, os, time
from pathlib import Path
import pytest
from tests import workers

LOG = Path(os.environ["SEEN_LOG"])

def seen(what, name):
    with LOG.open("a") as handle:
        handle.write(json.dumps([what, name, os.environ.get("PYTEST_XDIST_WORKER", "-")]) + "\\n")

# On workers, wait (once per worker) until a test sharing nothing has run on a second worker
# too: instant tests could otherwise all be done before a loaded machine's other workers start,
# and whether the scheduler hands them out one by one would be a race.
def others_took_some(timeout=60.0):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    mark = LOG.parent / f"alone-{worker}"
    if worker is None or mark.exists():
        return
    mark.touch()
    deadline = time.monotonic() + timeout
    while len(list(LOG.parent.glob("alone-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)

@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    workers.parallel_by_default(config)

@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    workers.tell_worker(node.workerinput, node.config)

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    return workers.scheduler(config, log)

def pytest_unconfigure(config):
    workers.forget_groups(config)

def pytest_itemcollected(item):
    workers.mark_group(item.config, item)

def pytest_collection_modifyitems(config, items):
    workers.longest_first(config, items)

@pytest.fixture
def spread():
    others_took_some()

@pytest.fixture(scope="session")
def shared_cluster():
    seen("setup", "shared_cluster")
    return "up"
"""

MODULE = """
import pytest
from conftest import seen

@pytest.fixture(scope="module")
def module_cluster():
    seen("setup", __name__)
    return "up"

@pytest.mark.parametrize("case", range(4))
def test_module_wide(module_cluster, case):
    seen("test", __name__)

@pytest.mark.parametrize("case", range(4))
def test_session_wide(shared_cluster, case):
    seen("test", "shared_cluster")

@pytest.mark.parametrize("case", range(8))
def test_alone(case, spread):
    seen("test", "alone")
"""


def run(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    log = project / "seen.log"
    log.unlink(missing_ok=True)
    for mark in project.glob("alone-*"):
        mark.unlink()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SEEN_LOG": str(log)}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = log.read_text().splitlines() if log.exists() else []
    return done, [json.loads(line) for line in lines]


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    checks = root / "checks"
    checks.mkdir()
    (checks / "conftest.py").write_text(CONFTEST)
    for name in ("test_one.py", "test_two.py"):
        (checks / name).write_text(MODULE)
    return root


def test_the_suites_command_runs_on_workers_and_wide_fixtures_stay_on_one(tmp_path: Path) -> None:
    done, seen = run(make_project(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created: 3/3 workers" in done.stdout, done.stdout
    setups = [(name, worker) for what, name, worker in seen if what == "setup"]
    assert sorted(name for name, _ in setups) == ["shared_cluster", "test_one", "test_two"]
    for name, worker in setups:
        ran_on = {w for what, n, w in seen if what == "test" and n == name}
        assert ran_on == {worker}, f"{name} set up on {worker}, its tests ran on {ran_on}"
    alone = {worker for what, name, worker in seen if what == "test" and name == "alone"}
    assert len(alone) > 1, "tests sharing nothing were not handed out one by one"


def test_naming_a_file_or_choosing_workers_runs_as_asked(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    for args in (["checks/test_one.py"], ["-n", "0"], ["-p", "no:xdist"]):
        done, seen = run(project, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "workers" not in done.stdout, (args, done.stdout)
        assert {worker for _, _, worker in seen} == {"-"}, args
    done, _ = run(project, "-k", "no_such_test")
    assert done.returncode == 5, done.stdout  # nothing selected stays pytest's own exit 5


def test_an_interrupt_another_handler_raised_still_makes_the_worker_deaf() -> None:
    """Ctrl-C inside a bring-up is raised by ``interruptible``'s handler, not the worker's; the
    session's ``pytest_keyboard_interrupt`` arms the worker's all the same, before the teardown
    that a second SIGINT would cut short."""
    guard = workers.InterruptOnce()
    with pytest.raises(KeyboardInterrupt):
        guard(signal.SIGINT, None)
    guard.pytest_runtest_logfinish()  # a test that caught its own interrupt ended: next counts
    guard.pytest_keyboard_interrupt()
    guard(signal.SIGINT, None)  # ignored: nothing raised


def _config(*, worker: bool = False, **option: object) -> pytest.Config:
    """What ``guard_starter`` reads of a config: its options, and ``workerinput`` on a worker."""
    found = SimpleNamespace(option=SimpleNamespace(**option))
    if worker:
        found.workerinput = {"workerid": "gw0"}
    return cast(pytest.Config, found)


def _terminated() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # the handler raises here at once


def test_sigterm_to_the_process_starting_the_workers_ends_the_run_as_ctrl_c() -> None:
    """Killed on the spot, that process would close the workers' channels, and execnet ends a
    worker 15 s later in the middle of its teardown: SIGTERM raises ``KeyboardInterrupt``
    there instead (the session then awaits the teardowns), once; a worker keeps its own."""
    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        workers.guard_starter(_config(worker=True, tx=["popen"], dist="loadgroup"))
        workers.guard_starter(_config(tx=None, dist="no"))  # a plain session: the fixtures' own
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        workers.guard_starter(_config(tx=["popen"] * 3, dist="loadgroup"))
        with pytest.raises(KeyboardInterrupt):
            _terminated()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # a second one is ignored
    finally:
        signal.signal(signal.SIGTERM, before)
