"""The in-process runner over a real (small) pytest suite written into a temporary package."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeadm_verify.errors import VerifyError
from kubeadm_verify.results import Status
from kubeadm_verify.runner import run_tier

SUITE = """
import json
import pytest

from kubeadm_verify.runner import (
    CONFORMANCE_PROPERTY, ID_PROPERTY, RESULT_PROPERTY, WARNING_PROPERTY,
)


@pytest.fixture
def broken_setup():
    raise RuntimeError("cannot set up")


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("cannot tear down")


def test_passes(record_property):
    record_property(ID_PROPERTY, "area/passes")
    record_property(CONFORMANCE_PROPERTY, json.dumps(["[sig-x] codename [Conformance]"]))


def test_fails():
    assert 1 == 2, "one is not two"


def test_skips():
    pytest.skip("needs a real kubelet")


def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    pass


def test_warns(record_property):
    record_property(WARNING_PROPERTY, "slow but fine")


def test_records_its_own_result(record_property):
    record_property(RESULT_PROPERTY, json.dumps({
        "id": "Exact", "status": "warn", "severity": "warning", "message": "as recorded",
        "remediation": "", "details": {"k": 1}, "duration_s": 0,
    }))
"""


@pytest.fixture
def tier_package(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "kv_sample_tier"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "test_sample.py").write_text(textwrap.dedent(SUITE))
    sys.path.insert(0, str(tmp_path))
    try:
        yield "kv_sample_tier"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("kv_sample_tier")]:
            del sys.modules[name]


def test_every_outcome_becomes_one_result(tier_package: str) -> None:
    report = run_tier("cluster", tier_package, args=["-q"])
    by_id = {r.id.split("::")[-1]: r for r in report.results}
    assert by_id["area/passes"].status is Status.PASS
    assert by_id["area/passes"].conformance == ("[sig-x] codename [Conformance]",)
    assert by_id["test_fails"].status is Status.FAIL
    assert "one is not two" in by_id["test_fails"].message
    assert by_id["test_skips"].status is Status.SKIP
    assert by_id["test_skips"].message == "needs a real kubelet"
    assert by_id["test_setup_error"].status is Status.ERROR
    assert "cannot set up" in by_id["test_setup_error"].message
    assert by_id["test_teardown_error"].status is Status.ERROR
    assert by_id["test_warns"].status is Status.WARN
    assert by_id["test_warns"].message == "slow but fine"
    assert by_id["Exact"].status is Status.WARN and by_id["Exact"].details == {"k": 1}
    assert len(report.results) == 7
    assert report.tier == "cluster" and report.duration_s > 0


def test_a_selection_that_matches_nothing_is_an_empty_report(tier_package: str) -> None:
    report = run_tier("cluster", tier_package, args=["-k", "no_such_test"])
    assert report.results == ()
    assert report.exit_code() == 0


def test_a_suite_that_cannot_start_raises(tier_package: str) -> None:
    with pytest.raises(VerifyError, match="could not start"):
        run_tier("cluster", tier_package, args=["--no-such-option"])


def test_the_callers_pytest_settings_do_not_reach_the_tier(
    tier_package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's ``PYTEST_ADDOPTS="-x"`` (for their own tests) would stop the tier at its
    first failure, and ``PYTEST_PLUGINS`` load a plugin into it: the tier runs without both,
    and they are back once it has run."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    monkeypatch.setenv("PYTEST_PLUGINS", "kv_no_such_plugin")
    report = run_tier("cluster", tier_package, args=["-q"])
    assert len(report.results) == 7
    assert os.environ["PYTEST_ADDOPTS"] == "-x"
    assert os.environ["PYTEST_PLUGINS"] == "kv_no_such_plugin"
