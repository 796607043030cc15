"""The suite sets up and builds what it needs before any test runs, so `python3 -m pytest` on a
fresh machine runs exactly what CI runs: no integration test is skipped for want of a package or
a cached build.

As root on Debian it first installs the packages real nodes and the tests' own plumbing need and
raises the inotify limit, saying so in one line (`host set-up: ...`).

The pinned upstream binaries, the e2e test package, the node parts and their images are built
once from the published Go modules into ``~/.cache/kubeadm-verify``, and so are the binaries,
node parts and images of every other release the suite brings up (``kubeadm_verify.pins.RELEASES``:
the one an upgrade starts from); on a machine that has them this costs seconds (the cache is
verified, not rebuilt). A selection of unit tests builds
nothing. Under xdist (the suite's own command: ``tests/workers.py``) this happens once, in the
process that starts the workers, before any of them exists.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests import workers

TEST_PLUMBING = (("ip", "iproute2"), ("openssl", "openssl"), ("haproxy", "haproxy"))
"""Programs the integration tests run, with the Debian package of each: haproxy is the load
balancer of the kubeadm-driven clusters with several control planes."""

PREPARE = "KUBEADM_VERIFY_PREPARE"
"""``never`` keeps the session from building anything (the tests that need a build then fail,
saying what is missing); the default builds what the selected tests need."""


INTEGRATION = Path(__file__).resolve().parent / "integration"

# A runner that starts the suite in the background (``cmd &`` in a script, without job control)
# hands it SIGINT ignored, and Python then installs no KeyboardInterrupt handler, nor does any
# Python it starts. The tests that interrupt a run send SIGINT as a terminal's Ctrl-C does, so
# the suite asks for Python's own disposition, which every process it starts then inherits.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    workers.parallel_by_default(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist's hook, in this process, for each worker it starts."""
    workers.tell_worker(node.workerinput, node.config)
    workers.keep_node(node)


def pytest_configure(config: pytest.Config) -> None:
    workers.guard_worker(config)
    workers.guard_starter(config)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which stops the workers
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        workers.await_teardowns(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return workers.scheduler(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    workers.forget_groups(config)


def pytest_itemcollected(item: pytest.Item) -> None:
    workers.mark_group(item.config, item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers.longest_first(config, items)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist this process collects nothing: prepare for what its arguments may select,
    before xdist's own (later still) hook starts the workers."""
    if workers.distributed(session.config) and _may_select_integration(session.config.args):
        _prepare_once(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or workers.distributed(session.config):
        return
    if any(
        "/integration/" in item.nodeid or item.nodeid.startswith("tests/integration")
        for item in session.items
    ):
        _prepare_once(session.config)


def _may_select_integration(args: list[str]) -> bool:
    """Whether an argument names the integration tests, one of them, or a folder holding them."""
    for arg in args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == INTEGRATION or INTEGRATION in path.parents or path in INTEGRATION.parents:
            return True
    return False


def _prepare_once(config: pytest.Config) -> None:
    if os.environ.get(PREPARE, "") == "never":
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        _prepare(config)


def _prepare(config: pytest.Config) -> None:
    from bootstrap.upstream.binaries import ensure_binaries
    from bootstrap.upstream.images import ensure_images
    from bootstrap.upstream.nodeparts import ensure_node_parts, set_up_host
    from bootstrap.upstream.testpkg import build_test_package, e2e_test_package_cached
    from kubeadm_verify.errors import VerifyError
    from kubeadm_verify.pins import KUBERNETES_VERSION, RELEASES

    reporter = config.pluginmanager.getplugin("terminalreporter")
    try:
        setup = set_up_host(TEST_PLUMBING)
        if reporter is not None:
            reporter.write_line(setup.line())
        bins = ensure_binaries(source="build")
        if e2e_test_package_cached() is None:
            with tempfile.TemporaryDirectory(prefix="kubeadm-verify-testpkg-") as scratch:
                build_test_package(None, Path(scratch))
        ensure_images(ensure_node_parts())
        for release in (r for r in RELEASES if r != KUBERNETES_VERSION):  # upgrades start there
            ensure_binaries(release, source="build")
            ensure_images(ensure_node_parts(release))
    except VerifyError as exc:  # loud, never a quiet skip of every test that needed the build
        pytest.exit(
            f"the integration tests need the host set up and the pinned builds: {exc} "
            "(unit tests alone: python3 -m pytest tests/unit)",
            returncode=3,
        )
    if reporter is not None:
        reporter.write_line(f"upstream binaries: {bins}")
