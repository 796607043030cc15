"""Where a cluster's node files go: every socket fits a Unix socket's path, whatever the cluster
is called and wherever its state dir is; the state dir alone is checked against the file
system's limits, naming the flag; a runtime dir is never shared and only its own is removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.runtime.nodes import layout, runtimedir
from bootstrap.runtime.nodes.addressing import MAX_NODES, Plan, cluster_id
from bootstrap.runtime.nodes.kubeletcfg import kubelet_configuration
from bootstrap.runtime.nodes.record import NodeEntry, NodesRecord
from bootstrap.runtime.state import NAME_MAX, PATH_MAX, SUFFIX_BUDGET, StateDir, check_root
from kubeadm_verify.cli import main
from kubeadm_verify.errors import BootstrapError, UsageError

LONGEST_NAME = "n" * 63
"""``check_name`` takes 1 to 63 characters."""


def _longest_state_dir() -> Path:
    """The longest state dir ``check_root`` accepts, in components a file system takes."""
    length = PATH_MAX - SUFFIX_BUDGET - 1
    parts, total = [], 0
    while total < length:
        part = "d" * min(NAME_MAX, length - total - 1)
        parts.append(part)
        total += len(part) + 1
    return Path("/", *parts)


def _entry(index: int) -> NodeEntry:
    return NodeEntry(index, f"kvn-node-{index}", "", "", "", "")


def test_the_longest_state_dir_is_accepted_and_one_byte_more_is_not() -> None:
    longest = _longest_state_dir()
    assert len(str(longest)) == PATH_MAX - SUFFIX_BUDGET - 1
    assert check_root(longest, "--state-dir") == longest
    with pytest.raises(UsageError, match=r"^--state-dir /d+\.\.\.: \d+ characters"):
        check_root(longest / "x", "--state-dir")


def test_every_socket_fits_for_the_longest_name_and_state_dir() -> None:
    state = StateDir.for_cluster(LONGEST_NAME, _longest_state_dir())
    cid = cluster_id(state.root)
    nodes = NodesRecord(Plan(cid, 1, "10.244.0.0/16"), runtime_dir=str(layout.runtime_dir(cid)))
    for index in range(MAX_NODES + 1):
        node = nodes.layout(state, _entry(index))
        assert layout.too_long(node.sockets) == [], node.sockets
        assert all(len(str(s).encode()) <= layout.SOCKET_LIMIT for s in node.sockets)
        assert not str(node.root).startswith(str(state.root))
        config = kubelet_configuration({}, node, "/r", cgroup_v1=True, systemd=False)
        endpoint = config["containerRuntimeEndpoint"].removeprefix("unix://")
        assert len(endpoint.encode()) <= layout.SOCKET_LIMIT - len(".ttrpc")


def test_what_the_old_layout_gave_was_too_long() -> None:
    """The bug this layout fixes: the fixtures' default state dir put the sockets past the
    limit (the check, not only the new layout, is what a test can hold on to)."""
    old = layout.NodeLayout.legacy(
        Path("/root/.cache/kubeadm-verify/clusters/pytest-20261206-091451-0a1b2c"), "kvn-node-1"
    )
    assert layout.too_long(old.sockets) != []


def test_two_state_dirs_never_share_a_runtime_dir() -> None:
    one = cluster_id(Path("/root/.cache/kubeadm-verify/clusters/a"))
    two = cluster_id(Path("/root/.cache/kubeadm-verify/clusters/b"))
    assert layout.runtime_dir(one) != layout.runtime_dir(two)


def test_a_record_from_before_runtime_dirs_still_finds_its_nodes(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state", "old")
    data = NodesRecord(Plan("abc123", 1, "10.244.0.0/16"), [_entry(1)], True).as_dict()
    del data["runtime_dir"]
    old = NodesRecord.from_dict(data)
    assert old.layout(state, old.nodes[0]).root == state.root / "nodes" / "kvn-node-1"


@pytest.fixture
def runtime_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "var-lib-kubeadm-verify"
    monkeypatch.setattr(layout, "RUNTIME_ROOT", root)
    return root


def test_an_existing_runtime_dir_is_refused(runtime_root: Path, tmp_path: Path) -> None:
    path = runtimedir.free("abc123", tmp_path / "one")
    runtimedir.make(path, tmp_path / "one")
    assert (path / layout.OWNER_FILE).read_text() == f"{tmp_path / 'one'}\n"
    with pytest.raises(BootstrapError, match=r"abc123.*exists"):
        runtimedir.free("abc123", tmp_path / "two")


def test_remove_takes_only_the_dir_named_with_the_cluster_id(runtime_root: Path) -> None:
    mine, other = runtime_root / "abc123", runtime_root / "def456"
    (mine / "n1" / "kubelet").mkdir(parents=True)
    other.mkdir()
    assert runtimedir.remove(str(other), "abc123") != []
    assert other.is_dir()
    assert runtimedir.remove(str(mine), "abc123") == []
    assert not mine.exists() and other.is_dir()
    assert runtimedir.remove("", "abc123") == []
    runtimedir.prune_root()
    assert other.is_dir(), "another cluster's runtime dir is left, and its parent"
    runtimedir.remove(str(other), "def456")
    runtimedir.prune_root()
    assert not runtime_root.exists()


def test_up_with_a_state_dir_too_long_exits_2_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    too_long = tmp_path / ("x" * 200) / ("y" * 200)
    while len(str(too_long)) < PATH_MAX:
        too_long = too_long / ("z" * 200)
    code = main(["up", "--name", "c", "--state-dir", str(too_long), "--nodes", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "--state-dir" in err[0], err
    assert not (tmp_path / ("x" * 200)).exists()
