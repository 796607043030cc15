"""Which kubectl the Standard Base's kubectl tests run, and how they call it (offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.standard_base.kubectl import OUTPUT_CHARS, Kubectl, bounded, find_kubectl
from kubeadm_verify.pins import KUBERNETES_VERSION


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    return tmp_path


def test_the_pinned_build_wins_over_path(cache: Path) -> None:
    pinned = _executable(
        cache / "cache" / "kubeadm-verify" / "bin" / KUBERNETES_VERSION / "kubectl"
    )
    _executable(cache / "path" / "kubectl")
    assert find_kubectl() == pinned


def test_path_is_the_fallback(cache: Path) -> None:
    on_path = _executable(cache / "path" / "kubectl")
    assert find_kubectl() == on_path


def test_a_pinned_file_that_cannot_run_is_not_taken(cache: Path) -> None:
    pinned = cache / "cache" / "kubeadm-verify" / "bin" / KUBERNETES_VERSION / "kubectl"
    pinned.parent.mkdir(parents=True)
    pinned.write_text("not a program")
    assert find_kubectl() is None


def test_no_kubectl_anywhere_is_none(cache: Path) -> None:
    assert find_kubectl() is None


def test_the_argv_names_the_kubeconfig_context_and_namespace() -> None:
    kubectl = Kubectl(Path("/k/kubectl"), Path("/c/admin.conf"), "ctx", "ns-1")
    assert kubectl.argv("get", "pods") == [
        "/k/kubectl",
        "--kubeconfig",
        "/c/admin.conf",
        "--context",
        "ctx",
        "--namespace",
        "ns-1",
        "get",
        "pods",
    ]
    assert "--context" not in Kubectl(Path("k"), Path("c"), None, "ns").argv("version")


def test_output_in_a_failure_is_one_bounded_line() -> None:
    said = bounded("a\nb   c" + "x" * 1000)
    assert said.startswith("a b c") and len(said) == OUTPUT_CHARS and said.endswith("...")
