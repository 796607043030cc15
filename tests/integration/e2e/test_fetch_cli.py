"""The CLI against a local server playing dl.k8s.io: only a verified package is ever run.

Each bad package (wrong checksum, truncated, no checksum file, a ``../`` member, the server
failing mid-download) must end the run with exit 2 and one clear line, write the reports with one
error entry, never run the fake binaries, and leave no cache entry behind.
"""

from __future__ import annotations

import hashlib
import threading

import pytest

from tests.integration.e2e.conftest import VERSION, Workspace
from tests.integration.e2e.fakes import Scenario, build_tarball, escaping_member, sha256_hex
from tests.integration.e2e.mirror import Mirror, Route, publish

pytestmark = pytest.mark.integration

TARBALL = f"/release/{VERSION}/kubernetes-test-linux-amd64.tar.gz"


def base_args(workspace: Workspace, mirror: Mirror) -> list[str]:
    return [
        "--mirror",
        mirror.url,
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(workspace.kubeconfig),
    ]


def assert_refused(workspace: Workspace, mirror: Mirror, expected: str) -> None:
    """Exit 2, one line naming the cause, reports with one error, nothing run, nothing cached."""
    done = workspace.run(*base_args(workspace, mirror))
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kubeadm-verify: ") and expected in lines[0]
    assert "Traceback" not in done.stderr
    checks = workspace.results()["checks"]
    assert [(c["id"], c["status"]) for c in checks] == [("e2e/start", "error")]
    assert expected in checks[0]["message"]
    assert workspace.ran() == [], "a package that failed verification was executed"
    assert workspace.cache_entries() == []
    assert not list((workspace.cache / "kubeadm-verify" / "e2e").rglob("*.tar.gz"))


def test_good_package_runs_end_to_end(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(
        mirror,
        VERSION,
        tarball,
        sha256=sha256_hex(tarball),
        sha512=hashlib.sha512(tarball).hexdigest(),
    )
    done = workspace.run(*base_args(workspace, mirror))
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in workspace.ran()] == ["e2e.test", "ginkgo", "e2e.test"]
    assert workspace.cache_entries() == ["linux-amd64"]
    results = workspace.results()
    assert results["summary"]["pass"] == 2 and results["summary"]["fail"] == 0
    assert all(check["conformance"] == [check["id"]] for check in results["checks"])
    assert mirror.count(TARBALL) == 1


def test_second_run_downloads_nothing(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball))
    assert workspace.run(*base_args(workspace, mirror)).returncode == 0
    requests_before = len(mirror.requests)
    assert workspace.run(*base_args(workspace, mirror)).returncode == 0
    assert mirror.requests[requests_before:] == []


def test_wrong_checksum(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256="0" * 64)
    assert_refused(workspace, mirror, "sha256 mismatch")


def test_wrong_sha512_alone_is_enough_to_refuse(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball), sha512="f" * 128)
    assert_refused(workspace, mirror, "sha512 mismatch")


def test_truncated_file(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    route = Route(tarball[: len(tarball) // 2], claimed_length=len(tarball))
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball), route=route)
    assert_refused(workspace, mirror, TARBALL)


def test_missing_checksum_file(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256=None)
    assert_refused(workspace, mirror, "without a checksum")
    assert mirror.count(TARBALL) == 0, "the package was fetched though it could not be verified"


def test_archive_with_an_escaping_member(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker, [escaping_member()])
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball))
    assert_refused(workspace, mirror, "unsafe: member 'kubernetes/../../escaped.txt'")
    assert not list(workspace.root.rglob("escaped.txt"))


def test_server_error_mid_download(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    route = Route(tarball, break_after=len(tarball) // 3)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball), route=route)
    assert_refused(workspace, mirror, "the download broke off")


def test_server_answers_an_error_status(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball), route=Route(b"oops", 500))
    assert_refused(workspace, mirror, "HTTP 500")


def test_concurrent_runs_fetch_once(workspace: Workspace, mirror: Mirror) -> None:
    tarball = build_tarball(Scenario(), workspace.marker)
    publish(mirror, VERSION, tarball, sha256=sha256_hex(tarball), route=Route(tarball, delay_s=1))
    codes: list[int] = []

    def one_run(index: int) -> None:
        args = [*base_args(workspace, mirror), "--dry-run"]
        codes.append(workspace.run(*args).returncode)

    threads = [threading.Thread(target=one_run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0, 0, 0]
    assert mirror.count(TARBALL) == 1
    assert workspace.cache_entries() == ["linux-amd64"]
