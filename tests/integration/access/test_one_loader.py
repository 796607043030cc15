"""One loader, three consumers: the cluster tier's CLI, the e2e tier's CLI (``--dry-run``, which
asks the cluster its version) and the ``kv_cluster`` fixture, each given the same kubeconfig
input against a real API server, must all reach it, or all fail with the same one line.

The in-cluster case runs each consumer in a private mount namespace where a tmpfs over ``/run``
holds the fake service-account files at the path client-go reads (``/var/run`` is ``/run``
here), so nothing on the host is touched.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.access.conftest import (
    World,
    base_env,
    exec_plugin,
    service_account,
    split_admin,
    with_broken_current,
)

pytestmark = [pytest.mark.integration, pytest.mark.cluster]
REPO = Path(__file__).resolve().parents[3]
FOCUS = "^api-machinery/server-version$"
IN_POD = (
    "mount -t tmpfs kvshape /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && "
    'mount --bind "$1" /run/secrets/kubernetes.io/serviceaccount && shift && '
    'exec "$@"'
)
FIXTURE_TEST = """
def test_the_cluster_answers(kv_cluster):
    assert kv_cluster.version.startswith("v1.37"), kv_cluster.version
    api = kv_cluster.api_client()
    api.close()
"""


@dataclass(frozen=True)
class Case:
    """The flags and environment given to every consumer, and the one line expected (None:
    the consumer must reach the cluster)."""

    kubeconfig: str | None = None
    context: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    service_account: Path | None = None
    error: str | None = None


def multi_file(world: World, folder: Path) -> Case:
    first, second = split_admin(world, folder)
    return Case(env={"KUBECONFIG": f"{first}:{folder / 'absent'}:{second}"})


def context_flag(world: World, folder: Path) -> Case:
    return Case(str(with_broken_current(world, folder)), "good")


def exec_credential(world: World, folder: Path) -> Case:
    return Case(str(exec_plugin(world, folder, world.token)))


def in_cluster(world: World, folder: Path) -> Case:
    sa, env = service_account(world, folder)
    return Case(env=env, service_account=sa)


def missing_file(world: World, folder: Path) -> Case:
    path = folder / "no-such-kubeconfig"
    return Case(str(path), error=f"kubeconfig {path} does not exist")


def unknown_context(world: World, folder: Path) -> Case:
    path = with_broken_current(world, folder)
    return Case(
        str(path),
        "nope",
        error=f"context 'nope' not found in kubeconfig {path} (contexts: broken, good)",
    )


def failing_exec(world: World, folder: Path) -> Case:
    path = exec_plugin(world, folder, None)
    return Case(
        str(path),
        error=f"kubeconfig {path}, context exec: the exec credential plugin "
        f"{folder.resolve() / 'bin' / 'credential'} failed: exec: "
        "process returned 1. credential helper: not logged in",
    )


CASES: dict[str, Callable[[World, Path], Case]] = {
    "multi-file KUBECONFIG": multi_file,
    "--context": context_flag,
    "exec plugin": exec_credential,
    "in-cluster": in_cluster,
    "missing file": missing_file,
    "unknown context": unknown_context,
    "failing exec plugin": failing_exec,
}


def cli_argv(verb: str, case: Case, folder: Path) -> list[str]:
    flags = [
        *(["--kubeconfig", case.kubeconfig] if case.kubeconfig else []),
        *(["--context", case.context] if case.context else []),
    ]
    extra = (
        ["--focus", FOCUS]
        if verb == "cluster"
        else ["--dry-run", "--test-package", str(cached_test_package())]
    )
    return [
        sys.executable,
        "-m",
        "kubeadm_verify",
        verb,
        "--output-dir",
        str(folder / "reports"),
        *extra,
        *flags,
    ]


def cached_test_package() -> Path:
    """The cached real test tarball, its checksum beside it (no download in these tests)."""
    from bootstrap.upstream.testpkg import e2e_test_package_cached

    path = e2e_test_package_cached("v1.37.2")
    if path is None:
        pytest.fail("no v1.37.2 test package cached: `kubeadm-verify binaries` builds it")
    return path


def fixture_argv(case: Case, folder: Path) -> list[str]:
    (folder / "test_fixture_consumer.py").write_text(FIXTURE_TEST)
    (folder / "pytest.ini").write_text("[pytest]\n")
    flags = ["--kv-kubeconfig", case.kubeconfig] if case.kubeconfig else ["--kv-existing"]
    flags += ["--kv-context", case.context] if case.context else []
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "bootstrap.fixtures",
        "--rootdir",
        str(folder),
        "-c",
        str(folder / "pytest.ini"),
        str(folder / "test_fixture_consumer.py"),
        *flags,
    ]


def run(argv: list[str], case: Case, folder: Path) -> subprocess.CompletedProcess[str]:
    if case.service_account is not None:
        argv = [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            IN_POD,
            "sh",
            str(case.service_account),
            *argv,
        ]
    env = {**base_env(folder / "home"), "PYTHONPATH": str(REPO), "TMPDIR": str(folder), **case.env}
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=folder, timeout=300, check=False
    )


@pytest.mark.parametrize("consumer", ["cluster", "e2e", "fixture"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_same_input_means_the_same_to_every_consumer(
    world: World, tmp_path: Path, name: str, consumer: str
) -> None:
    case = CASES[name](world, tmp_path)
    argv = (
        fixture_argv(case, tmp_path)
        if consumer == "fixture"
        else cli_argv(consumer, case, tmp_path)
    )
    done = run(argv, case, tmp_path)
    said = done.stdout + done.stderr
    if case.error is None:
        assert done.returncode == 0, said[-3000:]
        return
    if consumer == "fixture":
        assert done.returncode != 0 and case.error in said, said[-3000:]
        return
    assert done.returncode == 2, said[-3000:]
    assert done.stderr.strip().splitlines() == [f"kubeadm-verify: {case.error}"], said[-3000:]
