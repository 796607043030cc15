"""The patches a user hands ``kubeadm-verify upgrade --patches DIR``: read once, checked as
kubeadm reads a patches directory (``cmd/kubeadm/app/util/patches/patches.go``), and placed
in each node for the one upgrade, beside the node's own.

kubeadm skips, with a warning, a file whose name has no known target or extension; here that
refuses the upgrade instead: a patch the user meant, silently left out, would make the upgrade
something else than what was asked. Each node reads the patches from a directory of their own
(``UPGRADE_PATCHES_DIR``), written afresh by every upgrade, so one upgrade's patches never reach
the next (a patch that broke a failed upgrade must not break the one after it)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bootstrap.kubeadmrun import kubeadmconfig
from kubeadm_verify.errors import UsageError

TARGETS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubeletconfiguration",
    "corednsdeployment",
    "kubeproxydaemonset",
)
"""kubeadm's ``knownTargets``."""
MAX_FILES = 32
MAX_FILE_BYTES = 64 * 1024
_NAME = re.compile(
    rf"^(?:{'|'.join(re.escape(t) for t in TARGETS)})[^.+\n]*(?:\+(?:json|merge|strategic))?"
    r"\.(?:json|yaml)$"
)


def read_patches(directory: Path) -> dict[str, str]:
    """``{file name: text}`` of every patch in ``directory``; a ``UsageError`` in one line
    for anything kubeadm would not apply as given, or that is too large to be a patch."""
    where = f"--patches {directory}"
    if not directory.is_dir():
        raise UsageError(f"{where}: no such directory")
    entries = sorted(directory.iterdir())
    if len(entries) > MAX_FILES:
        raise UsageError(f"{where}: {len(entries)} entries, more than {MAX_FILES}")
    patches: dict[str, str] = {}
    for entry in entries:
        if not entry.is_file() or entry.is_symlink():
            raise UsageError(f"{where}: {entry.name} is not a regular file")
        if not _NAME.match(entry.name):
            raise UsageError(
                f"{where}: {entry.name} is not named as kubeadm reads a patch: "
                f"TARGET[suffix][+json|+merge|+strategic].json|yaml, TARGET one of "
                f"{', '.join(TARGETS)}"
            )
        if entry.name == kubeadmconfig.KUBELET_PATCH:
            raise UsageError(
                f"{where}: {entry.name} is the node's own patch (its cgroupRoot); give yours "
                "a suffix (kubeletconfiguration-mine+merge.yaml)"
            )
        with entry.open("rb") as opened:
            data = opened.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise UsageError(f"{where}: {entry.name} is larger than {MAX_FILE_BYTES // 1024} KiB")
        try:
            patches[entry.name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{where}: {entry.name} is not UTF-8 text") from None
    return patches


def write_patches(directory: Path, cgroup_root: str, patches: dict[str, str]) -> None:
    """A node's upgrade patches directory (``directory``: where the host reaches it), afresh:
    the node's own kubelet patch (without it the kubelet-config phase would drop the node's
    ``cgroupRoot``), then the user's."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    files = {kubeadmconfig.KUBELET_PATCH: kubeadmconfig.kubelet_patch(cgroup_root), **patches}
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
