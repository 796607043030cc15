"""The per-version cache: made once, reused offline, rebuilt when damaged, never half there."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from rich.console import Console

from conformance.e2e.cache import ensure_binaries, entry_dir
from conformance.e2e.fetch import PackageSource
from kubeadm_verify.errors import FetchError

SCRIPT = """#!/bin/sh
# {name}
if [ "$1" = "--list-tests" ]; then
  echo "The following spec names can be used with 'ginkgo run --focus/skip':"
  echo "    test/e2e/a.go:1: [sig-a] first spec [Conformance]"
  echo "    test/e2e/b.go:2: [sig-b] second spec"
fi
"""


def make_package(folder: Path, *, unsafe: bool = False) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        names = ["kubernetes/test/bin/e2e.test", "kubernetes/test/bin/ginkgo"]
        if unsafe:
            names.append("kubernetes/../../outside")
        for name in names:
            data = SCRIPT.format(name=name).encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    path = folder / "kubernetes-test-linux-amd64.tar.gz"
    path.write_bytes(buffer.getvalue())
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(buffer.getvalue()).hexdigest())
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "kubeadm-verify" / "e2e"


def quiet() -> Console:
    return Console(file=io.StringIO())


def test_entry_is_made_once_then_used_without_the_package(tmp_path: Path, cache: Path) -> None:
    path = make_package(tmp_path)
    source = PackageSource.local("v1.37.2", "amd64", path, None)
    binaries = ensure_binaries(source, quiet())
    assert binaries.e2e_test.parent == entry_dir(source)
    assert entry_dir(source).parent == cache / "v1.37.2"
    assert "# kubernetes/test/bin/ginkgo\n" in binaries.ginkgo.read_text()
    assert sorted(p.name for p in binaries.e2e_test.parent.iterdir()) == [
        "e2e.test",
        "ginkgo",
        "manifest.json",
        "specs.txt",
    ]
    assert binaries.listing() == ("[sig-a] first spec [Conformance]", "[sig-b] second spec")
    path.unlink()  # a second run must not need the package at all
    assert ensure_binaries(source, quiet()) == binaries


def test_mirror_and_local_packages_never_share_an_entry(tmp_path: Path, cache: Path) -> None:
    local = PackageSource.local("v1.37.2", "amd64", make_package(tmp_path), None)
    mirror = PackageSource("v1.37.2", "amd64", mirror="https://dl.k8s.io")
    assert entry_dir(mirror) == cache / "v1.37.2" / "linux-amd64"
    assert local.local_sha256 is not None
    assert entry_dir(local).name == f"local-{local.local_sha256[:16]}"


def test_a_damaged_entry_is_rebuilt(tmp_path: Path, cache: Path) -> None:
    source = PackageSource.local("v1.37.2", "amd64", make_package(tmp_path), None)
    binaries = ensure_binaries(source, quiet())
    binaries.e2e_test.write_text("#!/bin/sh\necho tampered\n")
    again = ensure_binaries(source, quiet())
    assert "tampered" not in again.e2e_test.read_text()
    again.specs_file.write_text("[sig-x] a spec that is not there\n")
    assert ensure_binaries(source, quiet()).listing()[0] == "[sig-a] first spec [Conformance]"


def test_a_binary_that_cannot_list_is_never_published(tmp_path: Path, cache: Path) -> None:
    path = make_package(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(path) as good, tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in good.getmembers():
            data = b"#!/bin/sh\nexit 1\n" if member.name.endswith("e2e.test") else None
            if data is not None:
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data else good.extractfile(member))
    broken_pkg = broken / path.name
    broken_pkg.write_bytes(buffer.getvalue())
    sha256 = hashlib.sha256(buffer.getvalue()).hexdigest()
    source = PackageSource.local("v1.37.2", "amd64", broken_pkg, sha256)
    with pytest.raises(FetchError, match="--list-tests exited 1"):
        ensure_binaries(source, quiet())
    assert [p for p in (cache / "v1.37.2").iterdir() if p.suffix != ".lock"] == []


def test_a_failed_fetch_leaves_no_entry_and_no_staging(tmp_path: Path, cache: Path) -> None:
    source = PackageSource.local("v1.37.2", "amd64", make_package(tmp_path, unsafe=True), None)
    with pytest.raises(FetchError, match="unsafe"):
        ensure_binaries(source, quiet())
    leftovers = [p.name for p in (cache / "v1.37.2").iterdir()]
    assert [name for name in leftovers if not name.endswith(".lock")] == []
    assert not (tmp_path / "outside").exists()
