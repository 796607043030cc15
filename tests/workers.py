"""How the whole suite shares two cores: xdist workers, and which tests stay on one worker.

Most of the suite waits on processes (a cluster coming up, a pod starting), so the README's
command (``python3 -m pytest``, the ``testpaths``) runs on ``WORKERS`` xdist workers with
``--dist loadgroup``. Naming files or folders, or giving ``-n``/``--dist`` or ``-p no:xdist``,
runs as asked, so one file still runs plainly.

A fixture wider than a test is set up once per worker that uses it, so the tests sharing one stay
on one worker (an ``xdist_group``): those sharing a session-scoped fixture of the suite (a
cluster, a download) by that fixture, those sharing a module-, class- or package-scoped one by
their module. A module marked ``spread`` (each case brings up its own cluster; its module fixtures
only keep books) is handed out case by case. The groups that take minutes start first, so that
none of them is the one left running at the end.

xdist 3.8 names a test's group by renaming the test (``nodeid@group``), which pytest 9.2 no
longer allows; so each worker writes down the groups it collected (``GROUPS``, a file the
process starting the workers names) and that process's scheduler (``GroupScheduling``) reads them.

An interrupted run (Ctrl-C reaches every worker with the process group) ends each worker's
session in full, its clusters torn down. xdist would wait 10 s for its workers and then kill
them (execnet interrupts a busy worker again after 5 s), in the middle of a teardown that a
loaded machine, or a worker holding several clusters, makes longer: so the process starting the
workers first awaits every worker's session to its end (``await_teardowns``), interrupting those
the signal did not reach, and a worker, once interrupted, is deaf to further SIGINTs while it
tears down (``InterruptOnce``). SIGTERM (how CI cancels a job) to that process alone ends
the run the same way (``guard_starter``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from kubeadm_verify import interrupts

WORKERS = 3
"""Two cores: the third worker runs while the other two wait on clusters."""

SPREAD = "spread"
"""The marker of a module whose cases may run on different workers (see the module docstring)."""

LONG_FIRST = (
    "tests/integration/binaries/test_build.py",
    "tests/integration/nodes/test_node_catches.py",
    "tests/integration/kubeadmrun/test_interrupt.py",
    "tests/integration/kubeadmrun/test_kubeadm_ha.py",
    "tests/integration/kubeadmrun/test_kubeadm_upgrade.py",
    "tests/integration/conformance/test_broken_nodes.py",
    "tests/integration/conformance/test_catches.py",
    "tests/integration/nodes/test_interrupt_up.py",
    "tests/integration/binaries/test_download_mode.py",
    "tests/integration/bootstrap/test_misconfigured.py",
    "tests/integration/nodes/",
    "tests/integration/e2e/test_real_e2e.py",
    "tests/integration/kubeadmrun/",
    "tests/integration/",
)
"""Where the suite's minutes go (``--durations``), longest first: tests are started in this
order, then the rest (the unit tests, seconds each) fill the workers' gaps."""

_WIDE = ("session", "package", "module", "class")
_PLUMBING = ("_pytest", "pytest_timeout", "xdist")
"""Where pytest's own wide fixtures come from (``tmp_path_factory``...): nothing to share."""


LOADGROUP = "kubeadm_verify_loadgroup"
"""What tells a worker it is one of ``loadgroup``'s: it parses the command's own arguments, so
it would not know when the options were chosen here."""

GROUPS = "kubeadm_verify_groups"
"""The folder, named to each worker, where it writes ``<worker>.json`` (test id -> group) and
``<worker>.pid`` (for ``await_teardowns``)."""
_FOLDER = pytest.StashKey[Path]()


def parallel_by_default(config: pytest.Config) -> None:
    """``WORKERS`` workers and ``loadgroup`` for the suite's own command, unless told otherwise."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # a worker runs this hook too, with the command's own arguments
        if workerinput.get(LOADGROUP):
            config.option.loadgroup = True
        return
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return
    chosen = config.option.numprocesses is not None or config.option.dist != "no"
    if chosen or config.option.collectonly or config.getoption("usepdb", False):
        return
    config.option.numprocesses = WORKERS
    config.option.dist = "loadgroup"


def tell_worker(workerinput: dict[str, object], config: pytest.Config) -> None:
    """Hand the worker being started the distribution this process chose (``LOADGROUP``) and
    where to write its groups (``GROUPS``)."""
    workerinput[LOADGROUP] = config.option.dist == "loadgroup"
    if _FOLDER not in config.stash:
        config.stash[_FOLDER] = Path(tempfile.mkdtemp(prefix="kubeadm-verify-groups-"))
    workerinput[GROUPS] = str(config.stash[_FOLDER])


INTERRUPTED_TEARDOWN_S = 300.0
"""How long an interrupted run waits for its workers' sessions to end (their clusters torn
down, the HA cluster's kubeadm reset node by node among them) before xdist stops them."""
_NODES = pytest.StashKey[list[Any]]()


def keep_node(node: Any) -> None:
    """Remember a worker being started (xdist's ``WorkerController``), for ``await_teardowns``."""
    node.config.stash.setdefault(_NODES, []).append(node)


class InterruptOnce:
    """A worker's SIGINT handler: the first raises ``KeyboardInterrupt`` and the session ends;
    while it tears down, further ones (a second Ctrl-C, the one ``await_teardowns`` sends,
    execnet's own) are ignored, where each would cut short the teardown it lands in. A test that
    catches the interrupt itself (a test of interrupts) ends normally, and the next one counts."""

    def __init__(self) -> None:
        self.interrupted = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            return
        self.interrupted = True
        raise KeyboardInterrupt

    def pytest_runtest_logfinish(self) -> None:
        self.interrupted = False

    def pytest_keyboard_interrupt(self) -> None:
        """The session is ending on an interrupt this handler did not raise (another handler
        held SIGINT then: ``kubeadm_verify.interrupts.interruptible`` around a bring-up): deaf
        from now on all the same, before the fixtures are torn down."""
        self.interrupted = True


def guard_worker(config: pytest.Config) -> None:
    """In a worker: ``InterruptOnce`` for SIGINT and SIGTERM (a runner's SIGTERM to the whole
    process group would otherwise end a worker on the spot outside a cluster fixture's own
    handling, in the middle of a bring-up), and its pid where ``await_teardowns`` reads it."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or GROUPS not in workerinput:
        return
    guard = InterruptOnce()
    signal.signal(signal.SIGINT, guard)
    signal.signal(signal.SIGTERM, guard)
    config.pluginmanager.register(guard, "kubeadm-verify-interrupt-once")
    Path(workerinput[GROUPS], f"{workerinput['workerid']}.pid").write_text(str(os.getpid()))


def guard_starter(config: pytest.Config) -> None:
    """In the process that starts the workers: SIGTERM ends the session as Ctrl-C does, so
    ``await_teardowns`` runs; further SIGTERMs are ignored (a second Ctrl-C still stops the
    wait). Dying on the spot would close the workers' channels, and execnet then interrupts
    each worker after 5 s and ends it 10 s later, in the middle of its teardown."""
    if getattr(config, "workerinput", None) is None and distributed(config):
        signal.signal(signal.SIGTERM, interrupts.interrupt_handler(os.getpid()))


def await_teardowns(config: pytest.Config) -> None:
    """After an interrupt, in the process that started the workers: SIGINT to each worker whose
    session is still on (the interrupt may have reached this process alone; one that has it
    already ignores it), then wait until every session has ended, up to
    ``INTERRUPTED_TEARDOWN_S``. A second Ctrl-C stops the wait, and xdist stops the workers."""
    folder = config.stash.get(_FOLDER, None)
    running = [
        node
        for node in config.stash.get(_NODES, [])
        if hasattr(node, "channel") and not node.channel.isclosed()
    ]
    if folder is None or not running:
        return
    for node in running:
        with contextlib.suppress(OSError, ValueError):  # not started yet, or gone
            pid = int((folder / f"{node.workerinput['workerid']}.pid").read_text())
            os.kill(pid, signal.SIGINT)  # our child, unreaped: the pid cannot be another's
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"interrupted: waiting up to {INTERRUPTED_TEARDOWN_S:.0f} s for {len(running)} "
            "worker(s) to tear down what they brought up (Ctrl-C again stops waiting)"
        )
    deadline = time.monotonic() + INTERRUPTED_TEARDOWN_S
    try:
        for node in running:
            with contextlib.suppress(Exception):  # timed out, or the worker's own error
                node.channel.waitclose(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        if reporter is not None:
            reporter.write_line("interrupted again: no longer waiting for the workers")


def forget_groups(config: pytest.Config) -> None:
    """The groups' folder goes with the session."""
    if _FOLDER in config.stash:
        shutil.rmtree(config.stash[_FOLDER], ignore_errors=True)


class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """xdist's scope scheduling, each test's scope its group as a worker wrote it down (one
    test alone when it has none)."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self._folder = config.stash.get(_FOLDER, None)
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:  # first asked once every worker has collected
            written = sorted(self._folder.glob("*.json")) if self._folder else []
            self._groups = json.loads(written[0].read_text()) if written else {}
        return self._groups.get(nodeid, nodeid)


def scheduler(config: pytest.Config, log: Any) -> GroupScheduling | None:
    """``GroupScheduling`` for ``--dist loadgroup``; xdist's own for any other mode."""
    return GroupScheduling(config, log) if config.option.dist == "loadgroup" else None


def distributed(config: pytest.Config) -> bool:
    """This process hands tests to xdist workers (it runs none itself)."""
    return bool(getattr(config.option, "tx", None)) and config.option.dist != "no"


def group_of(item: pytest.Item) -> str | None:
    """The group ``item`` must share a worker with, if any (see the module docstring)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared: list[str] = []
    module_wide = False
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            scope = fixturedef.scope
            if scope not in _WIDE or fixturedef.func.__module__.startswith(_PLUMBING):
                continue
            if scope == "session":
                if not name.startswith("_"):  # a public fixture's helper goes where it goes
                    shared.append(name)
            else:
                module_wide = True
    if shared:
        return "session:" + "+".join(sorted(set(shared)))
    if module_wide and item.get_closest_marker(SPREAD) is None:
        return f"module:{item.nodeid.split('::', 1)[0]}"
    return None


def mark_group(config: pytest.Config, item: pytest.Item) -> None:
    """Give ``item`` its group, unless it names one itself; as it is collected, so before any
    ``pytest_collection_modifyitems`` reads the groups. Without xdist: nothing."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    if item.get_closest_marker("xdist_group") is None:
        group = group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def longest_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a loadgroup worker (every worker sorts alike, as xdist requires), the longest areas
    first; then the groups written down for the scheduler."""
    if not getattr(config.option, "loadgroup", False):
        return
    items.sort(key=_rank)
    workerinput = getattr(config, "workerinput", {})
    if GROUPS in workerinput:
        groups = {}
        for item in items:
            mark = item.get_closest_marker("xdist_group")
            if mark is not None:
                groups[item.nodeid] = f"@{mark.args[0] if mark.args else 'default'}"
        folder = Path(workerinput[GROUPS])
        partial = folder / f".{workerinput['workerid']}.tmp"
        partial.write_text(json.dumps(groups))
        partial.rename(folder / f"{workerinput['workerid']}.json")


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    for rank, prefix in enumerate(LONG_FIRST):
        if path.startswith(prefix):
            return rank
    return len(LONG_FIRST)
