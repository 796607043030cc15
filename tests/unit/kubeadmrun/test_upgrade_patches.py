"""``upgrade --patches DIR``: read as kubeadm reads a patches directory, refused in one line
where kubeadm would leave a file out, and placed in a node afresh for each upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.kubeadmrun import kubeadmconfig
from bootstrap.kubeadmrun.upgradepatches import MAX_FILE_BYTES, read_patches, write_patches
from kubeadm_verify.errors import UsageError

BAD_FLAG = '[{"op": "add", "path": "/spec/containers/0/command/-", "value": "--no-such-flag"}]'


def test_patches_named_as_kubeadm_reads_them_are_read(tmp_path: Path) -> None:
    (tmp_path / "kube-apiserver+json.json").write_text(BAD_FLAG)
    (tmp_path / "etcd0.yaml").write_text("spec: {}\n")
    (tmp_path / "kubeletconfiguration-mine+merge.yaml").write_text("maxPods: 50\n")
    assert sorted(read_patches(tmp_path)) == [
        "etcd0.yaml",
        "kube-apiserver+json.json",
        "kubeletconfiguration-mine+merge.yaml",
    ]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("kube-apiserver.yml", "not named as kubeadm reads a patch"),
        ("apiserver+json.json", "not named as kubeadm reads a patch"),
        ("kube-apiserver+jsonpatch.json", "not named as kubeadm reads a patch"),
        (kubeadmconfig.KUBELET_PATCH, "the node's own patch"),
    ],
)
def test_a_patch_kubeadm_would_leave_out_is_refused(tmp_path: Path, name: str, said: str) -> None:
    (tmp_path / name).write_text("{}")
    with pytest.raises(UsageError, match=said):
        read_patches(tmp_path)


def test_no_directory_a_large_file_or_a_subdirectory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        read_patches(tmp_path / "absent")
    (tmp_path / "etcd.yaml").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(UsageError, match="larger than"):
        read_patches(tmp_path)
    (tmp_path / "etcd.yaml").unlink()
    (tmp_path / "etcd.json").mkdir()
    with pytest.raises(UsageError, match="not a regular file"):
        read_patches(tmp_path)


def test_each_upgrade_writes_the_node_s_patches_afresh(tmp_path: Path) -> None:
    node_dir = tmp_path / "upgrade-patches"
    write_patches(node_dir, "/kubelet-test", {"kube-apiserver+json.json": BAD_FLAG})
    assert sorted(p.name for p in node_dir.iterdir()) == [
        "kube-apiserver+json.json",
        kubeadmconfig.KUBELET_PATCH,
    ]
    assert (node_dir / kubeadmconfig.KUBELET_PATCH).read_text() == (
        kubeadmconfig.kubelet_patch("/kubelet-test")
    )
    assert oct(node_dir.stat().st_mode & 0o777) == "0o700"
    write_patches(node_dir, "/kubelet-test", {})
    assert [p.name for p in node_dir.iterdir()] == [kubeadmconfig.KUBELET_PATCH]
