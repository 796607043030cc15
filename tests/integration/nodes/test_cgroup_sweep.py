"""A node's cgroup swept as a teardown sweeps it: real cgroups, real processes, no cluster.

What a node's shims started is found by the node's cgroup and killed through the supervisor's
``kill_if``, which checks membership again once a pidfd holds the pid; a process outside the
cgroup is never touched, the sweep waits through ``access.wait_for`` until the cgroup is empty,
and the cgroups then go.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

import pytest

from bootstrap.runtime import process
from bootstrap.runtime.nodes import cgroups

pytestmark = pytest.mark.integration
SLEEP = shutil.which("sleep") or "/bin/sleep"


def test_the_sweep_kills_members_only_and_the_cgroups_go(tmp_path: Path) -> None:
    root = f"/kvd-sweep-{secrets.token_hex(3)}"
    cgroups.create(root)
    inside = process.start("inside", [SLEEP, "60"], tmp_path / "in.log")
    outside = process.start("outside", [SLEEP, "60"], tmp_path / "out.log")
    try:
        cgroups.enter(root, inside.pid)
        assert cgroups.pids(root) == {inside.pid}
        assert cgroups.holds(root, inside.pid)
        assert not cgroups.holds(root, outside.pid)
        assert not cgroups.holds(root + "-namesake", inside.pid)
        began = time.monotonic()
        assert cgroups.kill_all(root, timeout=10) == set()
        assert time.monotonic() - began < 5
        assert process.exit_code(inside) == -9
        assert process.is_running(outside)
        assert cgroups.remove(root) == []
        assert not any((h / root.strip("/")).exists() for h in cgroups.hierarchies())
    finally:
        process.stop([inside, outside])
        cgroups.kill_all(root, timeout=5)
        cgroups.remove(root)


def _freeze(root: str) -> Path:
    """Freeze ``root`` as runc does while it signals a container's processes on cgroup v1."""
    state = cgroups.CGROUP_FS / "freezer" / root.strip("/") / "freezer.state"
    state.write_text("FROZEN")
    return state


@pytest.mark.skipif(not cgroups.is_v1(), reason="the v1 freezer is a cgroup v1 hierarchy")
def test_a_container_left_frozen_is_thawed_and_killed(tmp_path: Path) -> None:
    # a runc killed between freezing a container and thawing it leaves the container's
    # processes frozen: a SIGKILL waits until they are thawed
    root = f"/kvd-frozen-{secrets.token_hex(3)}"
    cgroups.create(root)
    inside = process.start("inside", [SLEEP, "60"], tmp_path / "in.log")
    try:
        cgroups.enter(root, inside.pid)
        state = _freeze(root)
        assert state.read_text().strip() in cgroups.FROZEN_V1
        assert process.kill_if(inside.pid, lambda pid: cgroups.holds(root, pid))
        time.sleep(0.5)
        assert process.is_running(inside), "a frozen process took a SIGKILL before its thaw"
        began = time.monotonic()
        assert cgroups.kill_all(root, timeout=10) == set()
        assert time.monotonic() - began < 5
        assert process.exit_code(inside) == -9
        assert state.read_text().strip() == "THAWED"
        assert cgroups.thaw(root) == []
        assert cgroups.remove(root) == []
    finally:
        cgroups.thaw(root)
        process.stop([inside])
        cgroups.kill_all(root, timeout=5)
        cgroups.remove(root)
