"""What the Standard Base's pods print, parsed: the projected-volume reader's script, run here by
busybox (as in the busybox image) against real files, and ``env``'s output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.standard_base.test_container_env import kubelet_managed, parse_env
from conformance.standard_base.test_pod_resize import cgroup_values, expected_cgroup
from conformance.standard_base.test_projected import READ, read_back


def _busybox() -> str:
    found = shutil.which("busybox")
    if found is None:
        pytest.skip("busybox is not installed here (the busybox image is made of it)")
    return found


def test_the_read_script_gives_path_mode_and_content(tmp_path: Path) -> None:
    busybox = _busybox()
    data = tmp_path / "data-1"
    data.write_text("value-1")
    data.chmod(0o400)
    link = tmp_path / "linked"
    link.symlink_to(data)  # projected volumes' files are symlinks into ..data
    out = subprocess.run(
        [busybox, "sh", "-c", READ, "sh", str(link)],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    assert read_back(out) == {str(link): ("400", "value-1")}


def test_env_output_parses_names_with_symbols_and_values_with_equals() -> None:
    env = parse_env("#@!data-1=value-1\n$_-data-2=a=b\nFOOBAR=foo-value;;bar-value\nnoise\n")
    assert env == {"#@!data-1": "value-1", "$_-data-2": "a=b", "FOOBAR": "foo-value;;bar-value"}


def test_resize_expects_what_the_kubelet_writes_into_the_cgroup() -> None:
    want = expected_cgroup(
        {"requests": {"cpu": "25m", "memory": "40Mi"}, "limits": {"cpu": "50m", "memory": "80Mi"}}
    )
    assert want["/sys/fs/cgroup/cpu/cpu.shares"] == "25"
    assert want["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] == "5000"
    assert want["/sys/fs/cgroup/memory/memory.limit_in_bytes"] == str(80 << 20)
    assert want["/sys/fs/cgroup/cpu.max"] == "5000 100000"
    assert cgroup_values("/sys/fs/cgroup/cpu.max 5000 100000\n") == {
        "/sys/fs/cgroup/cpu.max": "5000 100000"
    }


def test_a_kubelet_managed_hosts_file_has_the_header_and_is_not_the_nodes() -> None:
    node = "127.0.0.1\tlocalhost\n"
    managed = "# Kubernetes-managed hosts file.\n10.0.0.1\tp\n"
    assert kubelet_managed(f"{managed}==kv-original==\n{node}")
    assert kubelet_managed(f"{node}==kv-original==\n{node}") is False
    assert (
        kubelet_managed(
            f"# Kubernetes-managed hosts file (host network).\n{node}==kv-original==\n{node}"
        )
        is False
    )
    assert kubelet_managed(f"==kv-original==\n{node}") is None
