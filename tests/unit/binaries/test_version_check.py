"""What each binary must print for the cache to accept it as the pinned release."""

from __future__ import annotations

import pytest

from bootstrap.upstream.binaries import version_command, version_problem


@pytest.mark.parametrize(
    ("name", "output"),
    [
        ("kube-apiserver", "Kubernetes v1.37.2\n"),
        ("kube-scheduler", "Kubernetes v1.37.2\n"),
        ("kubectl", "Client Version: v1.37.2\nKustomize Version: v5.7.1\n"),
        ("etcd", "etcd Version: 3.7.0\nGit SHA: Not provided\nGo Version: go1.26.8\n"),
        ("kwok", "kwok version v0.8.0 go1.26.8 (linux/amd64)\n"),
    ],
)
def test_expected_versions_pass(name: str, output: str) -> None:
    assert version_problem(name, output, "v1.37.2") is None


@pytest.mark.parametrize(
    ("name", "output"),
    [
        ("kube-apiserver", "Kubernetes v1.37.20\n"),
        ("kube-apiserver", "Kubernetes v0.0.0-master+$Format:%H$\n"),
        ("kubectl", "Client Version: v1.36.0\n"),
        ("etcd", "etcd Version: 3.6.5\n"),
        ("kwok", "kwok version v0.8.01\n"),
        ("kube-controller-manager", ""),
    ],
)
def test_other_versions_are_named_in_the_problem(name: str, output: str) -> None:
    problem = version_problem(name, output, "v1.37.2")
    assert problem is not None and problem.startswith(name)


def test_version_commands() -> None:
    assert version_command("kubectl") == ["version", "--client"]
    assert version_command("etcd") == ["--version"]
